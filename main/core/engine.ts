/**
 * The engine: the one object the three faces (Electron app, CLI, tests)
 * drive. It owns the host context and the task manager (setup modules register
 * their task steps on it), and answers "what is the state of this machine"
 * with one probe sweep.
 */
import { PtySessions } from './auth/pty-session.ts';
import type { HostContext } from './host/context.ts';
import { configString, loadTerokConfig } from './host/config.ts';
import { configBaseImageProblem } from './images/params.ts';
import type { GateSettings } from './settings.ts';
import { runSweep, type ReadinessReport, type SweepProgress } from './steps/readiness.ts';
import { STEP_PAGES, type StepPage } from './steps/registry.ts';
import { resolvePaths } from './host/paths.ts';
import { authenticatableNames, knownEntries } from './roster/auth-map.ts';
import type { ModuleHost } from './module-host.ts';
import type { TaskStep } from './task-steps.ts';
import { TaskManager, type StepImpl } from './tasks/task-manager.ts';
import packageJson from '../../package.json' with { type: 'json' };

/** The seed's default base image, used unless config.yml names one. */
export const SEED_BASE_IMAGE = 'ubuntu:24.04';
export const APP_NAME = 'Terok Setup';
/** package.json is the one source of the version (app, CLI, package metadata); bundled at build time. */
export const APP_VERSION: string = packageJson.version;

export interface AppInfoData {
  name: string;
  version: string;
  platform: string;
  defaults: GateSettings;
  agents: string[];
  /** Entries `auth` accepts (for the Summary's "authenticate other tools"). */
  authenticatable: string[];
  taskSteps: string[];
  /** Every step in page order (sidebar, pages, Welcome's list). */
  steps: readonly StepPage[];
  /** The user's home, so pages show paths as `~/…` (homeToTilde). */
  home: string;
}

/** A sweep's progress for the face that asked for it, keyed by the id it chose (a stale sweep's events are told apart). */
export type ProbeProgress = SweepProgress & { sweepId: string };

export class Engine implements ModuleHost {
  readonly tasks = new TaskManager();
  /** The embedded sign-in terminals (node-pty is loaded on the first one). */
  readonly terminals = new PtySessions();

  private readonly probeListeners = new Set<(e: ProbeProgress) => void>();

  readonly ctx: HostContext;

  constructor(ctx: HostContext) {
    this.ctx = ctx;
  }

  defaultSettings(): GateSettings {
    const config = loadTerokConfig(this.ctx);
    const family = configString(config, 'image', 'family');
    return {
      provider: 'claude',
      // A base image config.yml cannot use is reported (hostWarnings, the images step), never passed on.
      baseImage: (configBaseImageProblem(config) ? null : configString(config, 'image', 'base_image')) ?? SEED_BASE_IMAGE,
      family: family === 'deb' || family === 'rpm' ? family : null,
      credentialSet: 'default',
      mountsDir: null,
    };
  }

  appInfo(): AppInfoData {
    const paths = resolvePaths(this.ctx);
    return {
      name: APP_NAME, version: APP_VERSION, platform: process.platform, defaults: this.defaultSettings(),
      agents: knownEntries(paths), authenticatable: authenticatableNames(paths), taskSteps: this.tasks.stepNames(), steps: STEP_PAGES, home: this.ctx.home,
    };
  }

  register(step: TaskStep, impl: StepImpl): void {
    this.tasks.register(step, impl);
  }

  redactResults(step: TaskStep, field: string): number {
    return this.tasks.redactResults(step, field);
  }

  /** With a `sweepId`, every probe's answer is also told to `onProbeProgress` listeners as it lands. */
  sweep(settings: GateSettings, signal?: AbortSignal, sweepId?: string): Promise<ReadinessReport> {
    const emit = sweepId === undefined ? undefined : (p: SweepProgress) => { for (const l of this.probeListeners) l({ sweepId, ...p }); };
    return runSweep(this.ctx, settings, signal, emit);
  }

  onProbeProgress(listener: (e: ProbeProgress) => void): () => void {
    this.probeListeners.add(listener);
    return () => this.probeListeners.delete(listener);
  }

  dispose(): void {
    this.tasks.cancelAll();
    // Normally closed (and their logins cleaned up) before this; what is left is hung up now.
    this.terminals.hangUpAll();
  }
}
