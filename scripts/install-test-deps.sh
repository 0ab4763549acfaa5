#!/usr/bin/env bash
# System packages the test suites use (Debian/Ubuntu, as root): real podman
# with runc, busybox-static to build tiny local images (registries are not
# reachable in CI), Chromium for the renderer tests, OpenSSH for key checks.
set -euo pipefail
packages=(podman gcc libc6-dev runc uidmap slirp4netns fuse-overlayfs busybox-static chromium openssh-client openssl keyutils libsecret-tools nftables python3 python3-venv git)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Podman 4.3 on this kind of machine only works with runc and lower ulimits.
mkdir -p /etc/containers/containers.conf.d
cat > /etc/containers/containers.conf.d/50-terok-ci.conf <<'CONF'
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
CONF
podman --version
