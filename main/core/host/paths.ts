/**
 * terok's path rules (terok-util namespace resolvers), reproduced exactly so
 * every file we write is where terok looks for it.
 *
 *  state   : package env var → TEROK_ROOT → config paths.root → /var/lib/terok (real root)
 *            → ${XDG_DATA_HOME:-~/.local/share}/terok
 *  config  : package env var → /etc/terok (real root) → ${XDG_CONFIG_HOME:-~/.config}/terok
 *  runtime : package env var → /run/terok (real root) → $XDG_RUNTIME_DIR/terok
 *            → $XDG_STATE_HOME/terok → ~/.local/state/terok
 */
import path from 'node:path';
import type { HostContext } from './context.ts';
import { configString, expandHome, loadTerokConfig, type TerokConfig } from './config.ts';

type PathCtx = Pick<HostContext, 'env' | 'home' | 'isRealRoot'>;

function checkSub(sub: string): void {
  if (path.isAbsolute(sub) || sub.split(/[\\/]/).includes('..')) {
    throw new Error(`invalid terok sub-directory name: ${JSON.stringify(sub)}`);
  }
}

function fromEnv(ctx: PathCtx, envVar: string | undefined): string | undefined {
  const v = envVar ? ctx.env[envVar] : undefined;
  return v ? expandHome(v, ctx.home) : undefined;
}

export function stateRoot(ctx: PathCtx, config?: TerokConfig): string {
  const root = fromEnv(ctx, 'TEROK_ROOT');
  if (root) return root;
  const cfgRoot = config ? configString(config, 'paths', 'root') : undefined;
  if (cfgRoot) return path.resolve(expandHome(cfgRoot, ctx.home));
  if (ctx.isRealRoot) return '/var/lib/terok';
  return path.join(ctx.env.XDG_DATA_HOME || path.join(ctx.home, '.local', 'share'), 'terok');
}

export function namespaceStateDir(ctx: PathCtx, sub: string, envVar?: string, config?: TerokConfig): string {
  checkSub(sub);
  const direct = fromEnv(ctx, envVar);
  if (direct) return direct;
  return sub ? path.join(stateRoot(ctx, config), sub) : stateRoot(ctx, config);
}

export function namespaceConfigDir(ctx: PathCtx, sub: string, envVar?: string): string {
  checkSub(sub);
  const direct = fromEnv(ctx, envVar);
  if (direct) return direct;
  const root = ctx.isRealRoot ? '/etc/terok' : path.join(ctx.env.XDG_CONFIG_HOME || path.join(ctx.home, '.config'), 'terok');
  return sub ? path.join(root, sub) : root;
}

export function namespaceRuntimeDir(ctx: PathCtx, sub: string, envVar?: string): string {
  checkSub(sub);
  const direct = fromEnv(ctx, envVar);
  if (direct) return direct;
  let root: string;
  if (ctx.isRealRoot) root = '/run/terok';
  else if (ctx.env.XDG_RUNTIME_DIR) root = path.join(ctx.env.XDG_RUNTIME_DIR, 'terok');
  else if (ctx.env.XDG_STATE_HOME) root = path.join(ctx.env.XDG_STATE_HOME, 'terok');
  else root = path.join(ctx.home, '.local', 'state', 'terok');
  return sub ? path.join(root, sub) : root;
}

/** Every location the wizard reads or writes, resolved once per probe sweep. */
export interface TerokPaths {
  stateRoot: string;
  setupStamp: string;
  configRoot: string;
  vaultDir: string;
  routesJson: string;
  credentialDb: string;
  sealedPassphrase: string;
  recoveryMarker: string;
  sandboxState: string;
  supervisorHooksDir: string;
  supervisorWrapper: string;
  sandboxRuntime: string;
  sandboxLive: string;
  mountsDir: string;
  shieldState: string;
  shieldHooksDir: string;
  executorState: string;
  userAgentsDir: string;
  userProvidersDir: string;
  containersConf: string;
  /** Fallback for the kernel-keyring passphrase cache. */
  vaultSessionDir: string;
  warnings: string[];
}

export function resolvePaths(ctx: PathCtx & Pick<HostContext, 'systemConfigFile'>, config = loadTerokConfig(ctx)): TerokPaths {
  const warnings: string[] = [];
  let vaultDir = fromEnv(ctx, 'TEROK_VAULT_DIR');
  if (!vaultDir && ctx.env.TEROK_CREDENTIALS_DIR) {
    vaultDir = expandHome(ctx.env.TEROK_CREDENTIALS_DIR, ctx.home);
    warnings.push('TEROK_CREDENTIALS_DIR is deprecated; use TEROK_VAULT_DIR');
  }
  vaultDir ??= namespaceStateDir(ctx, 'vault', undefined, config);
  const sandboxState = namespaceStateDir(ctx, 'sandbox', 'TEROK_SANDBOX_STATE_DIR', config);
  const sandboxLive = namespaceStateDir(ctx, 'sandbox-live', 'TEROK_SANDBOX_LIVE_DIR', config);
  const shieldState = namespaceStateDir(ctx, 'shield', undefined, config);
  const configRoot = namespaceConfigDir(ctx, '', 'TEROK_CONFIG_DIR');
  const userConfigBase = ctx.env.XDG_CONFIG_HOME || path.join(ctx.home, '.config');
  const xdgRuntime = ctx.env.XDG_RUNTIME_DIR;
  return {
    stateRoot: stateRoot(ctx, config),
    setupStamp: path.join(stateRoot(ctx, config), 'setup.stamp'),
    configRoot,
    vaultDir,
    routesJson: path.join(vaultDir, 'routes.json'),
    credentialDb: path.join(vaultDir, 'credentials.db'),
    sealedPassphrase: path.join(vaultDir, 'vault.passphrase.cred'),
    recoveryMarker: path.join(vaultDir, 'vault.recovery_acknowledged'),
    sandboxState,
    supervisorHooksDir: path.join(sandboxState, 'hooks'),
    supervisorWrapper: path.join(sandboxState, 'supervisor_wrapper.py'),
    sandboxRuntime: namespaceRuntimeDir(ctx, 'sandbox', 'TEROK_SANDBOX_RUNTIME_DIR'),
    sandboxLive,
    mountsDir: path.join(sandboxLive, 'mounts'),
    shieldState,
    shieldHooksDir: path.join(shieldState, 'hooks'),
    executorState: namespaceStateDir(ctx, 'executor', 'TEROK_EXECUTOR_STATE_DIR', config),
    userAgentsDir: path.join(namespaceConfigDir(ctx, 'agent'), 'agents'),
    userProvidersDir: path.join(namespaceConfigDir(ctx, 'agent'), 'providers'),
    containersConf: path.join(userConfigBase, 'containers', 'containers.conf'),
    vaultSessionDir: path.join(xdgRuntime ? path.join(xdgRuntime, 'terok') : namespaceRuntimeDir(ctx, ''), 'vault-session'),
    warnings,
  };
}
