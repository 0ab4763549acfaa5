#!/bin/sh
# after-install of the Terok Setup deb (postinst) and rpm (%post), in place of
# electron-builder's default. electron-builder fills in the two macros below
# (the install folder and the binary's name) when it builds the package.
#
# What it does, and why (README, "Security"):
# - Makes Chromium's sandbox helper, chrome-sandbox, setuid root. Chromium
#   uses it only where it cannot sandbox with user namespaces — e.g. Ubuntu
#   24.04+, which restricts them for unprivileged programs. It is set always,
#   as Google Chrome's package does: whether namespaces work is a property of
#   the running system (a sysctl, a release upgrade), not of install time.
# - Installs no AppArmor profile and removes the one older packages installed
#   (it let any program started through the app binary's Chromium launcher
#   switches create user namespaces).
# - Refreshes the desktop and MIME databases for the menu entry.
#
# POSIX sh (rpm runs scriptlets with /bin/sh). Every step is guarded: a step
# that cannot be done is reported and the install goes on.

app_dir='/opt/${sanitizedProductName}'
old_apparmor_profile='/etc/apparmor.d/${executable}'
sandbox_helper="$app_dir/chrome-sandbox"

if [ -f "$sandbox_helper" ] && [ ! -L "$sandbox_helper" ]; then
  # chown first: changing the owner clears the setuid bit.
  if ! { chown root:root "$sandbox_helper" && chmod 4755 "$sandbox_helper"; }; then
    echo "terok-setup: could not make $sandbox_helper setuid root; where user namespaces are restricted the window will not open." >&2
    echo "terok-setup: fix: sudo chown root:root '$sandbox_helper' && sudo chmod 4755 '$sandbox_helper'" >&2
  fi
else
  echo "terok-setup: $sandbox_helper is missing or not a regular file; reinstall the package." >&2
fi

if [ -e "$old_apparmor_profile" ] || [ -L "$old_apparmor_profile" ]; then
  # Unload it from the running kernel first (not meaningful in a chroot, e.g.
  # an image build); absent AppArmor or an already unloaded profile is fine.
  if command -v apparmor_parser >/dev/null 2>&1 && ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; }; then
    apparmor_parser -R "$old_apparmor_profile" >/dev/null 2>&1 || true
  fi
  rm -f "$old_apparmor_profile" || echo "terok-setup: could not remove the old AppArmor profile $old_apparmor_profile; remove it by hand." >&2
fi

if command -v update-mime-database >/dev/null 2>&1; then
  update-mime-database /usr/share/mime || true
fi
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database /usr/share/applications || true
fi

exit 0
