/**
 * A sandboxed host with a real SQLCipher credential DB and an engine that has
 * the auth module registered, plus the taps the secrecy tests need: every task
 * event, captured CLI output, and a second connection that holds the DB's
 * write lock the way a running supervisor would.
 */
import path from 'node:path';
import { register } from '../../main/core/auth/module.ts';
import { registerOrchestrator } from '../../main/core/modules.ts';
import { Engine } from '../../main/core/engine.ts';
import { resolvePaths, type TerokPaths } from '../../main/core/host/paths.ts';
import type { TaskEvent } from '../../main/core/tasks/task-manager.ts';
import { CredentialDb } from '../../main/core/vault/credential-db.ts';
import type { CliStreams } from '../../main/cli/command.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE } from './fixtures.ts';
import { createSandboxHost, type SandboxHost } from './host.ts';

export interface AuthHarness {
  host: SandboxHost;
  engine: Engine;
  paths: TerokPaths;
  /** Every task event of every task, in order. */
  events: TaskEvent[];
  runStep(step: string, params: unknown): Promise<{ events: TaskEvent[]; outcome: TaskEvent }>;
  /** Read the DB with a fresh connection. */
  readDb<T>(read: (db: CredentialDb) => T): T;
  /** Hold a write transaction from another connection until the returned release() runs. */
  lockDb(): () => void;
  mountDir(hostDir: string): string;
  cleanup(): void;
}

export function createAuthHarness(opts: { vault?: boolean; env?: Record<string, string> } = {}): AuthHarness {
  const host = createSandboxHost(opts.env ? { env: opts.env } : {});
  if (opts.vault !== false) createVaultFixture(host);
  const engine = new Engine(host.ctx);
  register(engine);
  registerOrchestrator(engine);
  const events: TaskEvent[] = [];
  engine.tasks.subscribe((e) => events.push(e));
  const paths = resolvePaths(host.ctx);
  return {
    host, engine, paths, events,
    async runStep(step, params) {
      const id = engine.tasks.start(step, params);
      await engine.tasks.wait(id);
      const taskEvents = engine.tasks.events(id);
      return { events: taskEvents, outcome: taskEvents.at(-1)! };
    },
    readDb(read) {
      const db = CredentialDb.openReadOnly(paths.credentialDb, FIXTURE_PASSPHRASE);
      try { return read(db); } finally { db.close(); }
    },
    lockDb() {
      const db = CredentialDb.open(paths.credentialDb, FIXTURE_PASSPHRASE);
      db.raw.exec('BEGIN IMMEDIATE');
      return () => { db.raw.exec('ROLLBACK'); db.close(); };
    },
    mountDir: (hostDir) => path.join(paths.mountsDir, hostDir),
    cleanup() { engine.dispose(); host.cleanup(); },
  };
}

export interface CapturedStreams {
  io: CliStreams;
  out(): string;
  err(): string;
}

/** CLI streams writing into strings; stdin (for --api-key-stdin) is the given text. */
export function captureStreams(stdin = '', lines: (string | null)[] = []): CapturedStreams {
  let out = '';
  let err = '';
  return {
    io: {
      out: (t) => { out += t; },
      err: (t) => { err += t; },
      stdinIsTty: lines.length > 0,
      readLine: async (prompt) => { out += prompt; return lines.length ? lines.shift()! : null; },
      readAll: async () => stdin,
    },
    out: () => out,
    err: () => err,
  };
}
