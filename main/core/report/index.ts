/** The diagnostics report and the redaction it (and the app log) relies on. */
export { buildReport, processRuntime, LOG_TAIL_LINES, type ReportRuntime } from './report.ts';
export { createRedactor, secretsFromEnv, secretsInValue, SECRET_PREFIXES, REDACTED, type Redactor } from './redact.ts';
