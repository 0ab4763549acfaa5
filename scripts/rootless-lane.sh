#!/usr/bin/env bash
# The unprivileged test lane: the unit, integration and e2e suites run as a desktop
# user with rootless podman and a fresh XDG home, the setup terok is made for.
# Run as root (it creates the user); used by .ci/run.
#
#   scripts/rootless-lane.sh setup      user with subuid/subgid ranges, fresh XDG_RUNTIME_DIR,
#                                       the machine's rootless podman quirks in its containers.conf
#   scripts/rootless-lane.sh run [SUITE…]   copy this checkout into the user's home and run the
#                                       suites there as the user (default: unit integration e2e)
#   scripts/rootless-lane.sh teardown   end the user's podman pause process, remove the copy
#   scripts/rootless-lane.sh runtime-dir  print the user's XDG_RUNTIME_DIR (for the host guard)
#
# TEST_USER (default terok-ci) names the user. The quirks below are this kind
# of machine's (podman 4.3: crun fails on its cgroups, slirp4netns cannot open
# /dev/net/tun); they live only in the test user's file, never in the product.
set -euo pipefail
cd "$(dirname "$0")/.."
user=${TEST_USER:-terok-ci}
trap 'echo "rootless-lane: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
[ "$(id -u)" = 0 ] || { echo "rootless-lane: run as root (it creates and switches to the test user)" >&2; exit 2; }

home_of() { getent passwd "$user" | cut -d: -f6; }
uid_of() { id -u "$user"; }
runtime_dir() { echo "/run/user/$(uid_of)"; }
quirks_conf() { echo "$(home_of)/.config/containers/containers.conf"; }

as_user() {
  runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$(home_of)" USER="$user" LOGNAME="$user" \
    XDG_RUNTIME_DIR="$(runtime_dir)" LANG=C.UTF-8 "$@"
}

stop_pause() {
  local pid_file
  pid_file="$(runtime_dir)/libpod/tmp/pause.pid"
  if [ -s "$pid_file" ]; then kill "$(cat "$pid_file")" 2>/dev/null || true; fi
}

case "${1:-}" in
  setup)
    # A root directory only root can enter (seen in a debootstrap'd image: the 0700 of its temp
    # dir) keeps every other user from running anything; Debian's own / is 0755.
    if [ "$(( 0$(stat -c %a /) & 05 ))" != 5 ]; then
      echo "rootless-lane: / has mode $(stat -c %a /), so no unprivileged user can run programs; setting it to 755"
      chmod 755 /
    fi
    touch /etc/subuid /etc/subgid   # useradd allocates subordinate ranges only where these exist
    id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
    grep -q "^$user:" /etc/subuid 2>/dev/null || usermod --add-subuids 200000-265535 "$user"
    grep -q "^$user:" /etc/subgid 2>/dev/null || usermod --add-subgids 200000-265535 "$user"
    stop_pause
    rm -rf "$(runtime_dir)"
    install -d -m 0700 -o "$user" -g "$user" "$(runtime_dir)"
    install -d -m 0755 -o "$user" -g "$user" "$(home_of)" "$(home_of)/.config" "$(home_of)/.config/containers"
    cat > "$(quirks_conf)" <<'CONF'
# This machine's rootless podman quirks, written by the test lane (scripts/rootless-lane.sh).
[engine]
runtime = "runc"

[containers]
netns = "host"
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
CONF
    chown "$user:" "$(quirks_conf)"
    if ! info=$(as_user timeout 120 podman info --format '{{.Host.OCIRuntime.Name}}, {{.Store.GraphDriverName}} storage' 2>&1); then
      printf 'rootless-lane: rootless podman does not work for %s:\n%s\n' "$user" "$info" >&2
      exit 1
    fi
    echo "rootless podman for $user: $(tail -n 1 <<<"$info")"
    ;;
  run)
    shift
    copy="$(home_of)/terok-setup"
    rm -rf "$copy"
    cp -a . "$copy"
    chown -R "$user:" "$copy"
    (($#)) || set -- unit integration e2e
    # The user cannot write the caller's counts file: it writes its own, copied over afterwards.
    counts="$(runtime_dir)/test-counts.jsonl"
    rm -f "$counts"
    status=0
    (cd "$copy" && as_user CI="${CI:-}" REQUIRE_ALL="${REQUIRE_ALL:-}" TEST_LANE=rootless TEROK_TEST_CONTAINERS_CONF="$(quirks_conf)" \
      TEST_COUNTS_FILE="$counts" ./node_modules/.bin/node scripts/test.mjs "$@") || status=$?
    if [ -n "${TEST_COUNTS_FILE:-}" ] && [ -f "$counts" ]; then cat "$counts" >> "$TEST_COUNTS_FILE"; fi
    rm -f "$counts"
    exit "$status"
    ;;
  runtime-dir)
    runtime_dir
    ;;
  teardown)
    stop_pause
    rm -rf "$(home_of)/terok-setup"
    ;;
  *)
    echo "usage: scripts/rootless-lane.sh setup | run [SUITE…] | teardown | runtime-dir" >&2
    exit 2
    ;;
esac
