#!/bin/sh
# after-remove of the Terok Setup deb (postrm) and rpm (%postun), in place of
# electron-builder's default, which removes a /usr/bin link and an AppArmor
# profile that this package does not install (build/linux/after-install.sh
# removes the profile older versions left). The app's files, chrome-sandbox included,
# are removed by the package manager; this refreshes the desktop and MIME
# databases so the menu entry goes too. POSIX sh, every step guarded.

if command -v update-mime-database >/dev/null 2>&1; then
  update-mime-database /usr/share/mime || true
fi
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database /usr/share/applications || true
fi

exit 0
