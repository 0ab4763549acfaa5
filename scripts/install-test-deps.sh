#!/usr/bin/env bash
# System packages the test suites use (Debian/Ubuntu, as root): real podman
# with runc (rootful and rootless: uidmap, slirp4netns, fuse-overlayfs),
# busybox-static to build tiny local images (registries are not reachable in
# CI), Chromium for the renderer tests, 7za for electron-builder's packaging
# tests, OpenSSH/OpenSSL/keyutils/libsecret-tools/nftables for the host tools
# the wizard probes, gcc for the SELinux probe test, python3-venv for the
# fixture terok installation, pipx for terok.install's tests (it installs
# stand-in terok wheels from a local index), ansible-core for the fleet role's
# tests (ansible/roles/terok_setup), debootstrap and dbus-send for the
# PackageKit root (its own bookworm root on a private bus) the package-install
# tests run against. Ends by checking that every tool is really there, so a
# missing one fails here and not in the middle of the suite.
set -euo pipefail
packages=(podman runc uidmap slirp4netns fuse-overlayfs busybox-static chromium p7zip-full gcc libc6-dev
          openssh-client openssl keyutils libsecret-tools nftables python3 python3-venv pipx git util-linux passwd
          debootstrap dbus-bin ansible-core)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Podman 4.3 on this kind of machine only works with runc and lower ulimits
# (rootless podman reads this drop-in too; its own quirks go into the test
# user's containers.conf, see scripts/rootless-lane.sh).
mkdir -p /etc/containers/containers.conf.d
cat > /etc/containers/containers.conf.d/50-terok-ci.conf <<'CONF'
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
CONF

# command → the package that provides it
declare -A tools=(
  [podman]=podman [runc]=runc [newuidmap]=uidmap [newgidmap]=uidmap [slirp4netns]=slirp4netns
  [fuse-overlayfs]=fuse-overlayfs [busybox]=busybox-static [chromium]=chromium [7za]=p7zip-full
  [gcc]=gcc [ssh-keygen]=openssh-client [openssl]=openssl [keyctl]=keyutils [secret-tool]=libsecret-tools
  [nft]=nftables [python3]=python3 [pipx]=pipx [git]=git [runuser]=util-linux [useradd]=passwd [mknod]=coreutils
  [debootstrap]=debootstrap [dbus-send]=dbus-bin [unshare]=util-linux [nsenter]=util-linux [dpkg-deb]=dpkg
  [ansible-playbook]=ansible-core
)
absent=()
for t in "${!tools[@]}"; do command -v "$t" >/dev/null 2>&1 || absent+=("$t (package ${tools[$t]})"); done
python3 -c 'import venv' 2>/dev/null || absent+=("python3 venv module (package python3-venv)")
if ((${#absent[@]})); then
  printf 'install-test-deps: these test tools are still missing after the install:\n' >&2
  printf '  %s\n' "${absent[@]}" >&2
  exit 1
fi
echo "test tools ready: $(podman --version), $(chromium --version 2>/dev/null | head -n1)"
