/**
 * PackageKit over D-Bus: the service behind GNOME Software and KDE Discover,
 * on the system bus as `org.freedesktop.PackageKit`. One transaction per
 * call (CreateTransaction → Resolve or InstallPackages → Finished); the
 * daemon asks polkit, and the desktop shows its own password prompt: this
 * process never sees a password.
 *
 * The D-Bus client is dbus-native (pure JavaScript, one dependency, typed,
 * maintained; no native addon to rebuild for Electron, and the promise API
 * takes an AbortSignal and a timeout per call). Calls name their signatures
 * explicitly, so nothing is introspected at run time.
 */
import dbus from 'dbus-native';
import type { MessageBus, Message } from 'dbus-native';
import { CancelledError, SetupError } from '../errors.ts';

const SERVICE = 'org.freedesktop.PackageKit';
const ROOT_PATH = '/org/freedesktop/PackageKit';
const TRANSACTION = 'org.freedesktop.PackageKit.Transaction';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
export const SYSTEM_BUS_DEFAULT = 'unix:path=/var/run/dbus/system_bus_socket';

/** PkFilterEnum positions; a filter is a bitfield of `1 << position`. */
const FILTER_NEWEST = 16;
const FILTER_ARCH = 18;
/** PkTransactionFlagEnum ONLY_TRUSTED: never install what the distribution did not sign. */
const FLAG_ONLY_TRUSTED = 1n << 1n;

/** PkExitEnum */
const EXIT = { success: 1, failed: 2, cancelled: 3, killed: 6, needUntrusted: 8, cancelledPriority: 9 } as const;

/** PkInfoEnum values a Package signal carries. */
export const INFO = { installed: 1, available: 2, downloading: 10, updating: 11, installing: 12, removing: 13, cleanup: 14, finished: 18, preparing: 21, decompressing: 22 } as const;

/** PkStatusEnum, as words for the task log. */
const STATUS_WORDS: Record<number, string> = {
  1: 'waiting in the queue', 2: 'starting', 3: 'running', 4: 'looking up packages', 5: 'getting information',
  6: 'removing', 7: 'refreshing the package lists', 8: 'downloading', 9: 'installing', 10: 'updating', 11: 'cleaning up',
  13: 'resolving dependencies', 14: 'checking signatures', 15: 'testing changes', 16: 'committing changes',
  18: 'finished', 19: 'cancelling', 20: 'downloading repository information', 21: 'downloading the list of packages',
  27: 'loading the package cache', 30: 'waiting for another package manager to finish', 31: 'waiting for your authorization',
};
export const STATUS_WAITING_FOR_AUTH = 31;
const statusWords = (status: number): string | null => STATUS_WORDS[status] ?? null;

/** PkErrorEnum values the wizard explains in its own words; every other code keeps PackageKit's details. */
const ERROR_CODES: Record<number, PackageKitErrorKind> = {
  2: 'offline', 8: 'package-not-found', 10: 'download-failed', 13: 'dependencies', 26: 'locked', 37: 'offline', 43: 'offline',
  46: 'no-space', 48: 'not-authorized', 17: 'cancelled', 65: 'cancelled', 61: 'locked', 67: 'locked',
};

export type PackageKitErrorKind =
  | 'not-authorized' | 'package-not-found' | 'locked' | 'offline' | 'download-failed' | 'dependencies' | 'no-space'
  | 'untrusted' | 'cancelled' | 'no-packagekit' | 'failed';

const EXPLAIN: Record<PackageKitErrorKind, { message: string; hint: string }> = {
  'not-authorized': {
    message: 'The install was not authorized: the system password prompt was dismissed, or this account may not install software.',
    hint: 'Press Install again and enter your password when the system asks; if it still fails, ask an administrator to install the packages.',
  },
  'package-not-found': {
    message: 'This distribution\'s package sources do not have the package.',
    hint: 'Check that the distribution\'s main repositories are enabled (Software & Updates), or install it as the page describes.',
  },
  locked: {
    message: 'Another package manager is busy (an update or a software centre is running).',
    hint: 'Wait until it has finished, then press Install again.',
  },
  offline: {
    message: 'The package sources cannot be reached: this computer seems to be offline.',
    hint: 'Connect to the network, then press Install again.',
  },
  'download-failed': {
    message: 'A package could not be downloaded.',
    hint: 'Check the network connection and try again; a mirror may be temporarily down.',
  },
  dependencies: {
    message: 'The package manager could not work out what else the package needs.',
    hint: 'Install the pending system updates first, then try again.',
  },
  'no-space': {
    message: 'There is not enough disk space for the packages.',
    hint: 'Free some disk space, then press Install again.',
  },
  untrusted: {
    message: 'The package is not signed by the distribution, so it was not installed.',
    hint: 'Install it from the distribution\'s own repositories.',
  },
  cancelled: { message: 'The install was cancelled.', hint: 'Press Install to start again.' },
  'no-packagekit': {
    message: 'PackageKit, the system\'s software service, is not available.',
    hint: 'Install the packages with the command shown.',
  },
  failed: { message: 'The package manager could not install the packages.', hint: 'The details below say why.' },
};

/** A PackageKit transaction that did not succeed, explained; `details` is PackageKit's own text. */
export class PackageKitError extends SetupError {
  readonly kind: PackageKitErrorKind;

  constructor(kind: PackageKitErrorKind, details?: string) {
    const { message, hint } = EXPLAIN[kind];
    super(`packagekit-${kind}`, message, { hint, ...(details ? { detail: details } : {}) });
    this.kind = kind;
  }
}

export interface ResolvedPackage {
  name: string;
  /** PackageKit's id: `name;version;arch;data` (data is `installed` or the repository). */
  id: string;
  installed: boolean;
  summary: string;
}

/** What an install reports while it runs (for the task log and the progress bar). */
export type PackageKitProgress =
  | { kind: 'status'; status: number; words: string | null }
  | { kind: 'percentage'; percent: number }
  | { kind: 'package'; info: number; id: string; summary: string };

export interface PackageKitOptions {
  /** The system bus address (DBUS_SYSTEM_BUS_ADDRESS, else the standard socket). */
  busAddress: string;
  signal?: AbortSignal;
  /** Ceiling for one transaction, including the time the user spends on the password prompt. */
  timeoutMs?: number;
  /** `interactive=true` lets polkit ask the user (the desktop's prompt); false for unattended runs. */
  interactive?: boolean;
  locale?: string;
}

/** Parsed package id, or null when it is not one. */
export function parsePackageId(id: string): { name: string; version: string; arch: string; data: string } | null {
  const parts = id.split(';');
  if (parts.length !== 4 || !parts[0]) return null;
  return { name: parts[0], version: parts[1]!, arch: parts[2]!, data: parts[3]! };
}

/** How long the connection and each plain call may take (the transaction itself has its own ceiling). */
const CALL_TIMEOUT_MS = 10_000;
const DEFAULT_TRANSACTION_MS = 30 * 60_000;
/** How long a cancelled transaction may take to say it stopped. */
const CANCEL_GRACE_MS = 30_000;

/** One connection to the system bus, for the transactions of one task. */
export class PackageKitClient {
  private readonly bus: MessageBus;
  private readonly opts: PackageKitOptions;
  private owner: string | null = null;
  /** Rejects when the bus goes away (PackageKit or the bus daemon stopped) — raced against every transaction. */
  private readonly closed: Promise<never>;

  private constructor(bus: MessageBus, opts: PackageKitOptions) {
    this.bus = bus;
    this.opts = opts;
    this.closed = new Promise<never>((_resolve, reject) => {
      bus.connection.once('close', () => reject(new PackageKitError('failed', 'the connection to the system bus closed before PackageKit finished')));
    });
    this.closed.catch(() => {});
  }

  /**
   * Connects, or returns null when the bus has no PackageKit (neither running
   * nor activatable) or there is no system bus at all.
   */
  static async connect(opts: PackageKitOptions): Promise<PackageKitClient | null> {
    let bus: MessageBus;
    try {
      bus = dbus.createClient({ busAddress: opts.busAddress, timeout: CALL_TIMEOUT_MS, authMethods: ['EXTERNAL'] });
    } catch {
      return null;
    }
    // A missing socket surfaces as an error event; the calls below then fail with ConnectionClosedError.
    bus.connection.on('error', () => {});
    const client = new PackageKitClient(bus, opts);
    try {
      const call = { timeout: CALL_TIMEOUT_MS, ...(opts.signal ? { signal: opts.signal } : {}) };
      const [running, activatable] = await Promise.all([bus.invokeDbus<boolean>({ member: 'NameHasOwner', signature: 's', body: [SERVICE] }, call), bus.invokeDbus<string[]>({ member: 'ListActivatableNames' }, call)]);
      if (!running && !activatable.includes(SERVICE)) {
        await client.close();
        return null;
      }
      return client;
    } catch {
      await client.close();
      if (opts.signal?.aborted) throw new CancelledError();
      return null;
    }
  }

  async close(): Promise<void> {
    await this.bus.close().catch(() => {});
  }

  /** The packages PackageKit knows by these names (newest, this architecture); names it does not know are absent. */
  async resolve(names: readonly string[]): Promise<ResolvedPackage[]> {
    const found = new Map<string, ResolvedPackage>();
    const filter = (1n << BigInt(FILTER_NEWEST)) | (1n << BigInt(FILTER_ARCH));
    await this.transaction('Resolve', 'tas', [filter, [...names]], (msg) => {
      if (msg.member !== 'Package') return;
      const [info, id, summary] = msg.body as [number, string, string];
      const parsed = parsePackageId(id);
      if (!parsed) return;
      const installed = info === INFO.installed;
      // An installed copy wins over an available one of the same name.
      if (!found.get(parsed.name)?.installed) found.set(parsed.name, { name: parsed.name, id, installed, summary });
    });
    return [...found.values()];
  }

  /** Installs these package ids (from `resolve`), reporting progress as it goes. */
  async install(ids: readonly string[], onProgress: (p: PackageKitProgress) => void): Promise<void> {
    await this.transaction('InstallPackages', 'tas', [FLAG_ONLY_TRUSTED, [...ids]], (msg) => {
      if (msg.member === 'Package') {
        const [info, id, summary] = msg.body as [number, string, string];
        onProgress({ kind: 'package', info, id, summary });
      } else if (msg.member === 'PropertiesChanged' && msg.interface === PROPERTIES) {
        const changed = (msg.body as [string, Record<string, unknown>])[1] ?? {};
        if (typeof changed.Status === 'number') onProgress({ kind: 'status', status: changed.Status, words: statusWords(changed.Status) });
        // 101 means "not known yet".
        if (typeof changed.Percentage === 'number' && changed.Percentage <= 100) onProgress({ kind: 'percentage', percent: changed.Percentage });
      }
    });
  }

  /**
   * Runs one transaction to its Finished signal. Cancel (the task's signal)
   * asks PackageKit to cancel and waits for it to say so; the ceiling does the same.
   */
  private async transaction(method: string, signature: string, body: unknown[], onSignal: (msg: Message) => void): Promise<void> {
    const { signal } = this.opts;
    if (signal?.aborted) throw new CancelledError();
    const call = { timeout: CALL_TIMEOUT_MS };
    const path = await this.bus.invoke<string>({ destination: SERVICE, path: ROOT_PATH, interface: SERVICE, member: 'CreateTransaction' }, call).catch(rethrow);
    this.owner ??= await this.bus.invokeDbus<string>({ member: 'GetNameOwner', signature: 's', body: [SERVICE] }, call).catch(rethrow);
    const rule = `type='signal',sender='${SERVICE}',path='${path}'`;
    await this.bus.invokeDbus({ member: 'AddMatch', signature: 's', body: [rule] }, call).catch(rethrow);
    let errorKind: PackageKitErrorKind | null = null;
    let errorDetails = '';
    let stopAsked: 'cancel' | 'timeout' | null = null;
    let resolveFinished: (exit: number) => void = () => {};
    const finished = new Promise<number>((resolve) => { resolveFinished = resolve; });
    // Only this transaction's signals, and only from PackageKit's own connection.
    const listener = (msg: Message) => {
      if (msg.type !== dbus.messageType.signal || msg.path !== path || msg.sender !== this.owner) return;
      if (msg.member === 'ErrorCode') {
        const [code, details] = msg.body as [number, string];
        errorKind = ERROR_CODES[code] ?? 'failed';
        errorDetails = details;
      } else if (msg.member === 'Finished') {
        resolveFinished((msg.body as [number])[0]);
      } else {
        onSignal(msg);
      }
    };
    this.bus.connection.on('message', listener);
    // A daemon that never confirms the cancel is not waited for past a grace period.
    let giveUp: (err: Error) => void = () => {};
    const gaveUp = new Promise<never>((_resolve, reject) => { giveUp = reject; });
    gaveUp.catch(() => {});
    let graceTimer: NodeJS.Timeout | undefined;
    const ceilingText = () => `no answer within ${Math.round((this.opts.timeoutMs ?? DEFAULT_TRANSACTION_MS) / 60_000)} minutes; the transaction was cancelled`;
    const askStop = (why: 'cancel' | 'timeout') => {
      if (stopAsked) return;
      stopAsked = why;
      void this.bus.invoke({ destination: SERVICE, path, interface: TRANSACTION, member: 'Cancel' }, call).catch(() => {});
      graceTimer = setTimeout(() => giveUp(why === 'cancel' ? new CancelledError() : new PackageKitError('failed', ceilingText())), CANCEL_GRACE_MS);
    };
    const onAbort = () => askStop('cancel');
    signal?.addEventListener('abort', onAbort, { once: true });
    const ceiling = setTimeout(() => askStop('timeout'), this.opts.timeoutMs ?? DEFAULT_TRANSACTION_MS);
    try {
      const hints = [`interactive=${this.opts.interactive === false ? 'false' : 'true'}`, 'background=false', ...(this.opts.locale ? [`locale=${this.opts.locale}`] : [])];
      await this.bus.invoke({ destination: SERVICE, path, interface: TRANSACTION, member: 'SetHints', signature: 'as', body: [hints] }, call).catch(rethrow);
      await this.bus.invoke({ destination: SERVICE, path, interface: TRANSACTION, member: method, signature, body }, call).catch(rethrow);
      const exit = await Promise.race([finished, this.closed, gaveUp]);
      if (exit === EXIT.success) return;
      if (stopAsked === 'cancel' || signal?.aborted) throw new CancelledError();
      if (stopAsked === 'timeout') throw new PackageKitError('failed', ceilingText());
      if (exit === EXIT.needUntrusted) throw new PackageKitError('untrusted', errorDetails);
      if (exit === EXIT.cancelled || exit === EXIT.cancelledPriority || exit === EXIT.killed) throw new PackageKitError(errorKind ?? 'cancelled', errorDetails);
      throw new PackageKitError(errorKind ?? 'failed', errorDetails);
    } finally {
      clearTimeout(ceiling);
      clearTimeout(graceTimer);
      signal?.removeEventListener('abort', onAbort);
      this.bus.connection.off('message', listener);
      await this.bus.invokeDbus({ member: 'RemoveMatch', signature: 's', body: [rule] }, call).catch(() => {});
    }
  }
}

/** D-Bus error replies (PackageKit refusing a call outright) as the same explained error. */
function rethrow(err: unknown): never {
  const name = (err as { dbusName?: string }).dbusName ?? '';
  const text = (err as Error).message;
  if (/NotAuthorized|AccessDenied|PermissionDenied/i.test(name)) throw new PackageKitError('not-authorized', text);
  if (/ServiceUnknown|NameHasNoOwner|Spawn/i.test(name)) throw new PackageKitError('no-packagekit', text);
  throw new PackageKitError('failed', text);
}
