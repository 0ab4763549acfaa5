/** terok's path rules (executor spec §8, sandbox spec §5.2; checklist §9.8). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namespaceConfigDir, namespaceRuntimeDir, namespaceStateDir, resolvePaths } from '../../../main/core/host/paths.ts';
import type { HostContext } from '../../../main/core/host/context.ts';
import { loadTerokConfig } from '../../../main/core/host/config.ts';
import { createSandboxHost } from '../../support/host.ts';

const user = (env: Record<string, string> = {}) => ({ env: { ...env }, home: '/home/u', isRealRoot: false, systemConfigFile: '/nonexistent/config.yml' });
const root = (env: Record<string, string> = {}) => ({ ...user(env), home: '/root', isRealRoot: true });

test('rootless defaults live under ~/.local/share/terok, ~/.config/terok and the runtime dir', () => {
  const p = resolvePaths(user({ XDG_RUNTIME_DIR: '/run/user/1000' }));
  assert.equal(p.stateRoot, '/home/u/.local/share/terok');
  assert.equal(p.setupStamp, '/home/u/.local/share/terok/setup.stamp');
  assert.equal(p.vaultDir, '/home/u/.local/share/terok/vault');
  assert.equal(p.routesJson, '/home/u/.local/share/terok/vault/routes.json');
  assert.equal(p.credentialDb, '/home/u/.local/share/terok/vault/credentials.db');
  assert.equal(p.shieldHooksDir, '/home/u/.local/share/terok/shield/hooks');
  assert.equal(p.supervisorHooksDir, '/home/u/.local/share/terok/sandbox/hooks');
  assert.equal(p.mountsDir, '/home/u/.local/share/terok/sandbox-live/mounts');
  assert.equal(p.executorState, '/home/u/.local/share/terok/executor');
  assert.equal(p.sandboxRuntime, '/run/user/1000/terok/sandbox');
  assert.equal(p.userAgentsDir, '/home/u/.config/terok/agent/agents');
  assert.equal(p.containersConf, '/home/u/.config/containers/containers.conf');
});

test('XDG_DATA_HOME and XDG_CONFIG_HOME move the user trees', () => {
  const p = resolvePaths(user({ XDG_DATA_HOME: '/d', XDG_CONFIG_HOME: '/c' }));
  assert.equal(p.stateRoot, '/d/terok');
  assert.equal(p.configRoot, '/c/terok');
  assert.equal(p.containersConf, '/c/containers/containers.conf');
});

test('real root uses /var/lib/terok, /etc/terok and /run/terok', () => {
  const p = resolvePaths(root());
  assert.equal(p.stateRoot, '/var/lib/terok');
  assert.equal(p.executorState, '/var/lib/terok/executor');
  assert.equal(p.vaultDir, '/var/lib/terok/vault');
  assert.equal(p.sandboxState, '/var/lib/terok/sandbox');
  assert.equal(namespaceConfigDir(root(), 'sandbox'), '/etc/terok/sandbox');
  assert.equal(namespaceRuntimeDir(root(), 'sandbox'), '/run/terok/sandbox');
});

test('TEROK_ROOT relocates every state path and the stamp, but not config', () => {
  const p = resolvePaths(user({ TEROK_ROOT: '/srv/t' }));
  assert.equal(p.setupStamp, '/srv/t/setup.stamp');
  assert.equal(p.shieldHooksDir, '/srv/t/shield/hooks');
  assert.equal(p.vaultDir, '/srv/t/vault');
  assert.equal(p.configRoot, '/home/u/.config/terok');
});

test('package env vars win and expand ~', () => {
  const p = resolvePaths(user({ TEROK_ROOT: '/srv/t', TEROK_EXECUTOR_STATE_DIR: '~/ex', TEROK_SANDBOX_STATE_DIR: '/ss', TEROK_VAULT_DIR: '/v' }));
  assert.equal(p.executorState, '/home/u/ex');
  assert.equal(p.sandboxState, '/ss');
  assert.equal(p.credentialDb, '/v/credentials.db');
});

test('TEROK_SANDBOX_LIVE_DIR override gets /mounts appended', () => {
  assert.equal(resolvePaths(user({ TEROK_SANDBOX_LIVE_DIR: '/live' })).mountsDir, '/live/mounts');
});

test('deprecated TEROK_CREDENTIALS_DIR is honoured below TEROK_VAULT_DIR, with a warning', () => {
  const legacy = resolvePaths(user({ TEROK_CREDENTIALS_DIR: '/old' }));
  assert.equal(legacy.vaultDir, '/old');
  assert.match(legacy.warnings.join(), /deprecated/);
  assert.equal(resolvePaths(user({ TEROK_CREDENTIALS_DIR: '/old', TEROK_VAULT_DIR: '/new' })).vaultDir, '/new');
});

test('runtime falls back to XDG_STATE_HOME, then ~/.local/state', () => {
  assert.equal(namespaceRuntimeDir(user({ XDG_STATE_HOME: '/st' }), 'sandbox'), '/st/terok/sandbox');
  assert.equal(namespaceRuntimeDir(user(), 'sandbox'), '/home/u/.local/state/terok/sandbox');
});

test('sub-directory names may not be absolute or climb out', () => {
  assert.throws(() => namespaceStateDir(user(), '../x'), /invalid terok sub-directory/);
  assert.throws(() => namespaceStateDir(user(), '/abs'), /invalid terok sub-directory/);
});

test('config.yml paths.root relocates state (user file over system file)', () => {
  const host = createSandboxHost();
  host.write('etc/terok/config.yml', 'paths:\n  root: /from-system\n');
  host.write('home/.config/terok/config.yml', 'paths:\n  root: ~/from-user\n');
  const ctx: HostContext = host.ctx;
  assert.equal(resolvePaths(ctx, loadTerokConfig(ctx)).stateRoot, `${host.home}/from-user`);
  host.cleanup();
});

test('a broken config.yml is ignored with a warning instead of failing', () => {
  const host = createSandboxHost();
  host.write('home/.config/terok/config.yml', 'paths: [unclosed\n');
  const cfg = loadTerokConfig(host.ctx);
  assert.deepEqual(cfg.values, {});
  assert.match(cfg.warnings[0] ?? '', /not valid YAML/);
  host.cleanup();
});

test('TEROK_CONFIG_FILE is the only file read when set', () => {
  const host = createSandboxHost();
  host.write('home/.config/terok/config.yml', 'image:\n  base_image: user:1\n');
  const only = host.write('only.yml', 'image:\n  base_image: only:1\n');
  const cfg = loadTerokConfig({ ...host.ctx, env: { ...host.ctx.env, TEROK_CONFIG_FILE: only } });
  assert.deepEqual(cfg.sources, [only]);
  host.cleanup();
});
