/**
 * "Copy report": a Markdown diagnostics report for a bug report or a help
 * request — every probe result of a fresh sweep, versions, the paths in use
 * and the last failed task's log tail. Everything passes through one
 * redactor (home → `~`, tokens and known secret values → `[redacted]`).
 * No secret file is ever read for it: values come from the sweep, the task
 * history and the environment only.
 */
import type { Engine } from '../engine.ts';
import { APP_NAME, APP_VERSION } from '../engine.ts';
import { resolvePaths, type TerokPaths } from '../host/paths.ts';
import { reportOf, type ReadinessReport } from '../steps/readiness.ts';
import type { GateSettings } from '../settings.ts';
import type { TaskEvent } from '../tasks/task-manager.ts';
import { createRedactor, secretsFromEnv, secretsInValue } from './redact.ts';

/** Log lines of the failed task kept in the report. */
export const LOG_TAIL_LINES = 40;

export interface ReportRuntime {
  /** e.g. { electron: '45.4.1', chrome: '…', node: '22.…' } — whatever the face knows. */
  versions: Record<string, string | undefined>;
  platform: string;
  arch: string;
}

export function processRuntime(): ReportRuntime {
  const { electron, chrome, node } = process.versions as Record<string, string | undefined>;
  return { versions: { electron, chrome, node }, platform: process.platform, arch: process.arch };
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function versionLines(report: ReadinessReport, runtime: ReportRuntime): string[] {
  const podman = reportOf(report, 'podman')?.facts.version;
  const terok: { via?: string | null; packages?: Record<string, string | null> } = reportOf(report, 'sandbox')?.facts.terok ?? {};
  const lines = [
    `- ${APP_NAME}: ${APP_VERSION}`,
    ...Object.entries(runtime.versions).filter(([, v]) => v).map(([k, v]) => `- ${k}: ${v}`),
    `- platform: ${runtime.platform} ${runtime.arch}`,
    `- podman: ${typeof podman === 'string' ? podman : 'not found'}`,
  ];
  const packages = Object.entries(terok.packages ?? {});
  if (packages.length === 0) lines.push(`- terok: not found${terok.via ? ` (via ${terok.via})` : ''}`);
  for (const [name, version] of packages) lines.push(`- ${name}: ${version ?? 'not installed'}${terok.via ? ` (via ${terok.via})` : ''}`);
  return lines;
}

function probeLines(report: ReadinessReport): string[] {
  const lines = ['| Step | Kind | State | Result |', '|---|---|---|---|'];
  for (const s of report.steps) lines.push(`| ${cell(s.title)} | ${s.requirement} | ${s.state} | ${cell(s.result.message)} |`);
  lines.push('', `Setup stamp: ${report.setup.verdict} — ${report.setup.message}`, '');
  for (const s of report.steps) {
    lines.push(`<details><summary>${s.title}: facts</summary>`, '', '```json', JSON.stringify(s.facts, null, 2), '```', '</details>', '');
  }
  return lines;
}

function pathLines(paths: TerokPaths): string[] {
  return Object.entries(paths).filter(([k]) => k !== 'warnings').map(([k, v]) => `- ${k}: \`${String(v)}\``);
}

function lastFailureLines(engine: Engine): string[] {
  const failed = engine.tasks.list().filter((t) => t.state === 'failed').at(-1);
  if (!failed) return ['No setup step has failed in this session.'];
  const events = engine.tasks.events(failed.id);
  const failure = events.find((e): e is Extract<TaskEvent, { type: 'failed' }> => e.type === 'failed')?.error;
  const logs = events.filter((e): e is Extract<TaskEvent, { type: 'log' }> => e.type === 'log').map((e) => e.line).slice(-LOG_TAIL_LINES);
  const lines = [`Step \`${failed.step}\`: ${failure?.message ?? 'failed'}`];
  if (failure?.command) lines.push(`- command: \`${failure.command.join(' ')}\``);
  if (failure?.exitCode !== undefined) lines.push(`- exit code: ${failure.exitCode}`);
  if (failure?.stderrTail) lines.push('', 'stderr (tail):', '```', failure.stderrTail, '```');
  lines.push('', `Log (last ${LOG_TAIL_LINES} lines):`, '```', ...(logs.length ? logs : ['(no log lines)']), '```');
  return lines;
}

/** Every secret value this process can see without reading a secret file. */
function knownSecrets(engine: Engine): string[] {
  const secrets = secretsFromEnv(engine.ctx.env);
  for (const task of engine.tasks.list()) {
    for (const e of engine.tasks.events(task.id)) if (e.type === 'done') secretsInValue(e.result, secrets);
  }
  return secrets;
}

export async function buildReport(engine: Engine, settings: GateSettings = engine.defaultSettings(), runtime: ReportRuntime = processRuntime()): Promise<string> {
  const report = await engine.sweep(settings);
  const paths = resolvePaths(engine.ctx);
  const redact = createRedactor({ home: engine.ctx.home, secrets: knownSecrets(engine) });
  const verdict = report.verdict.ready
    ? `Ready${report.verdict.bypass ? ' (shield bypass on: containers have unrestricted network)' : ''}`
    : `Not ready: ${report.verdict.reasons.join('; ')}`;
  const markdown = [
    `# ${APP_NAME} report`,
    '',
    `- Generated: ${report.checkedAt} (sweep took ${report.durationMs} ms)`,
    `- Verdict: ${verdict}`,
    `- Agent: ${settings.provider}, base image: ${settings.baseImage}, credential set: ${settings.credentialSet}`,
    '',
    '## Versions', '', ...versionLines(report, runtime), '',
    '## Checks', '', ...probeLines(report),
    '## Paths', '', ...pathLines(paths), '',
    ...(report.warnings.length ? ['## Warnings', '', ...report.warnings.map((w) => `- ${w}`), ''] : []),
    '## Last failed step', '', ...lastFailureLines(engine), '',
  ].join('\n');
  return redact(markdown);
}
