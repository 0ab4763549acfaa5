#!/usr/bin/env bash
# Runs a command in a mount namespace whose root mount is this (chroot) root.
#
#   scripts/unchroot.sh CMD [ARG…]     (as root)
#
# Why: the kernel refuses to create a user namespace for a chrooted process
# (current_chrooted() in kernel/user_namespace.c), and rootless podman needs
# one, so the unprivileged test lane cannot run in a root entered with
# chroot — as fresh-machine checks enter a debootstrap'd Debian. A root that
# is the namespace's root mount (pivot_root, as container runtimes do) is not
# "chrooted". Nothing outside the new mount namespace changes. Outside a
# chroot the command simply runs.
set -euo pipefail

if [ "${1:-}" = --pivot ]; then
  # Stage 2, under the enclosing root, inside a private mount namespace of our own.
  new_root=$2; shift 2
  mount --rbind "$new_root" "$new_root"
  cd "$new_root"
  mkdir -p .unchroot-old
  pivot_root . .unchroot-old
  cd /
  umount --lazy /.unchroot-old
  rmdir /.unchroot-old
  exec "$@"
fi

(($#)) || { echo "usage: scripts/unchroot.sh CMD [ARG…]" >&2; exit 2; }
if unshare --user true 2>/dev/null; then exec "$@"; fi
if [ ! -r /proc/self/status ]; then
  echo "unchroot: user namespaces are refused and /proc is not mounted; running as is" >&2
  exec "$@"
fi

# The nearest ancestor in our mount namespace whose root is not ours sees the enclosing root.
ours=$(stat -c %d:%i /) our_ns=$(readlink /proc/self/ns/mnt)
pid=$$ outer=
while [ "$pid" -gt 1 ]; do
  pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
  [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$our_ns" ] || continue
  root=$(stat -Lc %d:%i "/proc/$pid/root/." 2>/dev/null) || continue
  if [ "$root" != "$ours" ]; then outer=$pid; break; fi
done
if [ -z "$outer" ]; then
  echo "unchroot: user namespaces are refused here and no enclosing root was found; running as is" >&2
  exec "$@"
fi
exec 9</
# Where this root lies, seen from the enclosing root (fd 9 is our /).
new_root=$(nsenter --target "$outer" --mount --root -- readlink /proc/self/fd/9)
self="$new_root$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
echo "unchroot: chrooted at $new_root; continuing in a mount namespace rooted there"
status=0
nsenter --target "$outer" --mount --root -- unshare --mount --propagation private -- bash "$self" --pivot "$new_root" "$@" 9<&- || status=$?
exit "$status"
