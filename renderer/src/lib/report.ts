/** A plain-text summary of the probe report for "Copy report" (probe results carry no secrets). */
import type { ReadinessReport } from '../../../main/core/preflight/sweep.ts';
import type { AppInfo } from '../../../main/ipc/contract.ts';

export function reportMarkdown(report: ReadinessReport, info: AppInfo | null): string {
  const lines = [
    `# Terok Setup report`,
    ``,
    `- App: ${info ? `${info.name} ${info.version}` : 'unknown'}`,
    `- Checked: ${report.checkedAt} (${report.durationMs} ms)`,
    `- Agent: ${report.settings.provider}, base image ${report.settings.baseImage}, credential set ${report.settings.credentialSet}`,
    `- Verdict: ${report.verdict.ready ? 'READY' : 'NOT READY'}`,
    ``,
    `| check | result | message |`,
    `|---|---|---|`,
    ...report.steps.map((s) => `| ${s.result.name} | ${s.result.ok ? 'ok' : 'FAIL'} | ${s.result.message} |`),
  ];
  if (report.verdict.reasons.length) lines.push('', '## Why not ready', ...report.verdict.reasons.map((r) => `- ${r}`));
  if (report.warnings.length) lines.push('', '## Warnings', ...report.warnings.map((w) => `- ${w}`));
  return lines.join('\n') + '\n';
}
