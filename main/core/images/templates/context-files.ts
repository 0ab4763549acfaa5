/**
 * Helper files staged into the build context. They are ours: small, doing
 * one job each, and saying so. Where terok's runtime contract fixes a path
 * (pid files, sockets, the loopback port), these follow it; environment
 * variable names marked "ours" are this project's convention.
 */
import type { PackageFamily } from '../../settings.ts';
import type { StagedFile } from './types.ts';

const EXEC = 0o755;

const INIT_SSH_AND_REPO = `#!/bin/sh
# Container entry point: start sshd only when terok mounted keys, start the
# bridges, make sure the workspace exists, then run the given command (or idle
# so that terok can exec into the container).
set -eu
keys=/etc/ssh/authorized_keys.d/terok
if [ -s "$keys" ]; then
  sudo /usr/sbin/sshd -E /tmp/sshd.log || echo "init: sshd did not start, see /tmp/sshd.log" >&2
fi
. /usr/local/bin/ensure-bridges.sh || echo "init: bridges not started" >&2
repo="\${REPO_ROOT:-/workspace}"
mkdir -p "$repo"
cd "$repo"
if [ "$#" -gt 0 ]; then exec "$@"; fi
exec sleep infinity
`;

const SSH_AGENT_BRIDGE = `#!/bin/sh
# Expose the host's SSH agent inside the container as /tmp/ssh-agent.sock.
# The upstream comes from TEROK_SSH_AGENT_ADDR (host:port; ours).
set -eu
: "\${TEROK_SSH_AGENT_ADDR:?TEROK_SSH_AGENT_ADDR is not set}"
mkdir -p /tmp/.terok
rm -f /tmp/ssh-agent.sock
socat UNIX-LISTEN:/tmp/ssh-agent.sock,fork,mode=600 "TCP:\${TEROK_SSH_AGENT_ADDR}" &
echo $! > /tmp/.terok/ssh-agent.pid
`;

const ENSURE_BRIDGES = `#!/bin/sh
# Start whichever bridge is missing; meant to be sourced (exports SSH_AUTH_SOCK).
#  - SSH agent: /tmp/ssh-agent.sock, pid in /tmp/.terok/ssh-agent.pid
#  - vault, socket mode: localhost:9419 -> the mounted /run/terok/vault/vault.sock,
#    pid in /tmp/.terok/vault-loopback.pid
#  - vault, TCP mode (TEROK_VAULT_PORT set; ours): /tmp/terok-vault.sock ->
#    host.containers.internal:<port>, pid in /tmp/.terok/vault-socket.pid
mkdir -p /tmp/.terok
terok_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if [ -n "\${TEROK_SSH_AGENT_ADDR:-}" ] && ! terok_alive /tmp/.terok/ssh-agent.pid; then
  ssh-agent-bridge.sh
fi
[ -S /tmp/ssh-agent.sock ] && export SSH_AUTH_SOCK=/tmp/ssh-agent.sock
if [ -n "\${TEROK_VAULT_PORT:-}" ]; then
  if ! terok_alive /tmp/.terok/vault-socket.pid; then
    rm -f /tmp/terok-vault.sock
    socat UNIX-LISTEN:/tmp/terok-vault.sock,fork,mode=600 "TCP:host.containers.internal:\${TEROK_VAULT_PORT}" &
    echo $! > /tmp/.terok/vault-socket.pid
  fi
elif [ -S /run/terok/vault/vault.sock ] && ! terok_alive /tmp/.terok/vault-loopback.pid; then
  socat TCP-LISTEN:9419,bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:/run/terok/vault/vault.sock &
  echo $! > /tmp/.terok/vault-loopback.pid
fi
true
`;

const TEROK_ENV = `# terok shell environment (sourced by login and interactive shells).
case ":$PATH:" in *":$HOME/.npm-global/bin:"*) ;; *) PATH="$HOME/.npm-global/bin:$PATH" ;; esac
# Per-task agent wrappers that terok mounts take precedence over installed CLIs.
case ":$PATH:" in *":$HOME/.terok/bin:"*) ;; *) PATH="$HOME/.terok/bin:$PATH" ;; esac
export PATH
[ -r /etc/terok/installed.env ] && . /etc/terok/installed.env && export TEROK_INSTALLED_AGENTS
`;

const TEROK_BANNER = `#!/bin/sh
# One line for interactive shells: which agents this image carries.
. /etc/terok/installed.env 2>/dev/null || true
echo "terok container — agents: \${TEROK_INSTALLED_AGENTS:-none}. Type 'hilfe' for help."
`;

const HILFE = `#!/bin/sh
# Help overview: the installed agents, then the baked help pages.
echo "Installed agents (terok-agents): $(terok-agents | tr '\\n' ' ')"
echo "Providers per protocol: providers"
for page in /usr/local/share/terok/help.d/*.txt; do
  [ -s "$page" ] && { echo; cat "$page"; }
done
exit 0
`;

const TEROK_AGENTS = `#!/bin/sh
# Prints the agents baked into this image, one per line.
. /etc/terok/installed.env 2>/dev/null || true
printf '%s\\n' "\${TEROK_INSTALLED_AGENTS:-}" | tr ',' '\\n' | sed '/^$/d'
`;

const PROVIDERS = `#!/bin/sh
# Prints which providers serve each wire protocol (from the baked JSON map).
map=/usr/local/share/terok/provider-protocols.json
if command -v jq >/dev/null 2>&1; then
  jq -r 'to_entries[] | "\\(.key): \\(.value | join(", "))"' "$map"
else
  cat "$map"
fi
`;

const TMUX_CONF = `# terok tmux defaults: mouse, generous history, true colour.
set -g mouse on
set -g history-limit 50000
set -g default-terminal "tmux-256color"
set -sg escape-time 10
`;

/** Public-key logins for `dev` only, keys from terok's placeholder, nothing forwarded. */
const SSHD_DROP_IN = `# terok: hardened sshd for the gate
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers dev
AuthorizedKeysFile /etc/ssh/authorized_keys.d/terok
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
X11Forwarding no
PermitTunnel no
GatewayPorts no
`;

const PAM_SUDO_DEV = `#%PAM-1.0
# terok: let dev through without reading /etc/shadow (mode 0 in rootless containers).
auth       sufficient   pam_succeed_if.so user = dev
auth       include      system-auth
account    sufficient   pam_succeed_if.so user = dev
account    include      system-auth
session    include      system-auth
`;

export function defaultContextFiles(family: PackageFamily): StagedFile[] {
  return [
    { path: 'scripts/init-ssh-and-repo.sh', content: INIT_SSH_AND_REPO, mode: EXEC },
    { path: 'scripts/ssh-agent-bridge.sh', content: SSH_AGENT_BRIDGE, mode: EXEC },
    { path: 'scripts/ensure-bridges.sh', content: ENSURE_BRIDGES, mode: EXEC },
    { path: 'scripts/terok-env.sh', content: TEROK_ENV },
    { path: 'scripts/terok-banner', content: TEROK_BANNER, mode: EXEC },
    { path: 'scripts/hilfe', content: HILFE, mode: EXEC },
    { path: 'scripts/terok-agents', content: TEROK_AGENTS, mode: EXEC },
    { path: 'scripts/providers', content: PROVIDERS, mode: EXEC },
    { path: 'tmux/tmux.conf', content: TMUX_CONF },
    { path: 'config/sshd-00-terok.conf', content: SSHD_DROP_IN },
    ...(family === 'rpm' ? [{ path: 'config/pam-sudo-dev', content: PAM_SUDO_DEV }] : []),
  ];
}
