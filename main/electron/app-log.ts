/**
 * The app's log file: ~/.local/state/terok-setup/logs/terok-setup.log,
 * rotated by size (terok-setup.log.1 … .N), 0600 in a 0700 directory. Every
 * line passes through the redactor, and task results are never written —
 * only that a step finished — because a result can carry a one-time secret
 * (sandbox.install's generatedPassphrase).
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Redactor } from '../core/report/index.ts';
import type { TaskEvent } from '../core/tasks/task-manager.ts';

export const LOG_FILE_NAME = 'terok-setup.log';

export interface AppLogOptions {
  dir: string;
  redact: Redactor;
  /** Rotate when the file would grow past this (default 1 MiB). */
  maxBytes?: number;
  /** Rotated files kept besides the current one (default 3). */
  keep?: number;
  now?: () => Date;
}

export class AppLog {
  readonly file: string;
  private readonly opts: Required<AppLogOptions>;
  private failed = false;

  constructor(opts: AppLogOptions) {
    this.opts = { maxBytes: 1024 * 1024, now: () => new Date(), ...opts, keep: Math.max(1, opts.keep ?? 3) };
    this.file = path.join(opts.dir, LOG_FILE_NAME);
  }

  write(level: 'info' | 'warn' | 'error', message: string): void {
    if (this.failed) return;
    const line = `${this.opts.now().toISOString()} ${level.toUpperCase()} ${this.opts.redact(message).replace(/\r?\n/g, '\n    ')}\n`;
    try {
      mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
      this.rotateIfNeeded(Buffer.byteLength(line));
      appendFileSync(this.file, line, { mode: 0o600 });
    } catch {
      // A log that cannot be written must never break the wizard; stop trying.
      this.failed = true;
    }
  }

  /** One line per task event worth keeping; results are deliberately left out. */
  taskEvent(e: TaskEvent): void {
    const where = `[${e.step} ${e.taskId.slice(0, 8)}]`;
    switch (e.type) {
      case 'stage': this.write('info', `${where} stage ${e.stage.label}: ${e.stage.status}${e.stage.detail ? ` (${e.stage.detail})` : ''}`); break;
      case 'log': this.write(e.stream === 'stderr' ? 'warn' : 'info', `${where} ${e.line}`); break;
      case 'progress': break; // too chatty for a file; the stages and the outcome tell the story
      case 'done': this.write('info', `${where} done`); break;
      case 'failed': {
        const f = e.error;
        const command = f.command ? ` — command: ${f.command.join(' ')}` : '';
        const exit = f.exitCode !== undefined && f.exitCode !== null ? ` (exit ${f.exitCode})` : '';
        this.write('error', `${where} failed: ${f.message}${command}${exit}${f.stderrTail ? `\n${f.stderrTail}` : ''}`);
        break;
      }
    }
  }

  private rotateIfNeeded(incoming: number): void {
    let size = 0;
    try { size = statSync(this.file).size; } catch { return; }
    if (size + incoming <= this.opts.maxBytes) return;
    const { keep } = this.opts;
    rmSync(`${this.file}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try { renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`); } catch { /* not there yet */ }
    }
    renameSync(this.file, `${this.file}.1`);
  }
}
