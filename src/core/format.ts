// An InvocationResult as text for people: what `iot-authz invoke` prints and the output channel
// shows. Reads only the result object (already secret-free), so every front end prints the same.
import type { AuthorizationDecision } from './policy';
import type { PolicyWarning } from './policySummary';
import type { ValidationFinding } from './response';
import type { InvocationResult, RunOutcome, RunTimings } from './result';
import type { EventProblem, SignatureCheck } from './events';

export interface FormatOptions {
  /** ANSI colours, for terminals. */
  readonly color?: boolean;
  /** Log lines shown at most; the rest is summarized. Default 40. */
  readonly maxLogLines?: number;
}

const LABEL_WIDTH = 12;
const DEFAULT_MAX_LOG_LINES = 40;

type Tone = 'good' | 'bad' | 'warn' | 'dim' | 'bold';
const ANSI: Readonly<Record<Tone, string>> = { good: '32', bad: '31', warn: '33', dim: '2', bold: '1' };

const OUTCOME_MARK: Readonly<Record<RunOutcome, { mark: string; tone: Tone }>> = {
  allowed: { mark: 'ALLOWED', tone: 'good' },
  denied: { mark: 'DENIED', tone: 'warn' },
  'invalid-response': { mark: 'INVALID RESPONSE', tone: 'bad' },
  'signature-rejected': { mark: 'SIGNATURE REJECTED', tone: 'bad' },
  'handler-error': { mark: 'HANDLER ERROR', tone: 'bad' },
  'request-error': { mark: 'REQUEST ERROR', tone: 'bad' },
  'session-ended': { mark: 'SESSION ENDED', tone: 'dim' },
};

/** `300` → "5 min", `86400` → "24 h", `5400` → "1 h 30 min", `45` → "45 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) return `${seconds} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const parts = [h ? `${h} h` : '', m ? `${m} min` : '', s || seconds === 0 ? `${s} s` : ''].filter((p) => p !== '');
  return parts.join(' ');
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** A run's wait behind earlier invocations of its handler (local endpoint), when it is worth telling: 1 ms or more. */
export function queuedNote(t: RunTimings): string | undefined {
  return t.queuedMs !== undefined && t.queuedMs >= 1 ? `queued ${formatMs(t.queuedMs)} behind earlier invocations` : undefined;
}

class Text {
  readonly lines: string[] = [];
  constructor(private readonly color: boolean) {}
  paint(tone: Tone, text: string): string {
    return this.color ? `\u001b[${ANSI[tone]}m${text}\u001b[0m` : text;
  }
  /** A labelled line; following lines of `value` are indented under the value. */
  field(label: string, value: string): void {
    const [first, ...rest] = value.split('\n');
    this.lines.push(`${this.paint('bold', label.padEnd(LABEL_WIDTH))}${first}`.trimEnd());
    for (const line of rest) this.lines.push(`${' '.repeat(LABEL_WIDTH)}${line}`.trimEnd());
  }
  heading(label: string): void {
    this.lines.push(this.paint('bold', label));
  }
  line(text = ''): void {
    this.lines.push(text.trimEnd());
  }
}

function severityTone(severity: string): Tone {
  return severity === 'error' ? 'bad' : severity === 'warning' ? 'warn' : 'dim';
}

/** One response finding: `error    principalId  message` and its hint on the next line. */
export function formatFinding(f: ValidationFinding, opts: FormatOptions = {}): string {
  const t = new Text(opts.color ?? false);
  const head = `${t.paint(severityTone(f.severity), f.severity.padEnd(8))}${f.path ? `${f.path}: ` : ''}${f.message}`;
  return f.hint ? `${head}\n${' '.repeat(8)}${t.paint('dim', `fix: ${f.hint}`)}` : head;
}

function formatProblem(p: EventProblem, t: Text): string {
  return `${t.paint(severityTone(p.severity), p.severity.padEnd(8))}${p.field ? `${p.field}: ` : ''}${p.message}`;
}

function signatureText(s: SignatureCheck): string {
  switch (s.status) {
    case 'verified':
      return `verified${s.keyName ? ` with key "${s.keyName}"` : ''}`;
    case 'disabled':
      return 'not checked: signing is disabled, so the handler must check the credentials itself';
    case 'not-checked':
      return `not checked${s.diagnosis ? `\n${s.diagnosis}` : ''}`;
    default:
      return `${s.status}${s.diagnosis ? `\n${s.diagnosis}` : ''}`;
  }
}

function decidedBy(d: AuthorizationDecision): string {
  const st = d.decidingStatement;
  const where = st ? `policyDocuments[${st.documentIndex}].Statement[${st.statementIndex}]${st.sid ? ` (${st.sid})` : ''}` : 'no statement allows it';
  const how = d.reason === 'explicit-deny' ? `explicit Deny in ${where}` : d.reason === 'allowed' ? where : 'default deny: no statement allows it';
  return d.certain ? how : `${how} (uncertain: ${d.unsupported[0]?.message ?? 'unsupported policy element'})`;
}

function table(rows: readonly string[][], t: Text, tones: readonly (Tone | undefined)[] = []): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r, i) =>
    r
      .map((cell, c) => {
        const padded = c === r.length - 1 ? cell : cell.padEnd(widths[c]);
        return i === 0 ? t.paint('dim', padded) : c === 2 && tones[i] ? t.paint(tones[i] as Tone, padded) : padded;
      })
      .join('  ')
      .trimEnd(),
  );
}

function warningLine(w: PolicyWarning, t: Text): string {
  return `${t.paint(w.severity === 'warning' ? 'warn' : 'dim', w.code)}  ${w.message}\n${' '.repeat(w.code.length + 2)}${t.paint('dim', `fix: ${w.hint}`)}`;
}

/** Human-readable text of a run: headline, request, signature, decision, findings, policies, errors, logs, timings. */
export function formatInvocationResult(result: InvocationResult, opts: FormatOptions = {}): string {
  const t = new Text(opts.color ?? false);
  const { mark, tone } = OUTCOME_MARK[result.outcome];
  t.line(`${t.paint(tone, t.paint('bold', mark))}  ${result.headline}`);
  t.line();

  const req = result.request;
  // A request that could not be built has no protocol or authorizer worth showing.
  const built = result.outcome !== 'request-error' || req.wire !== undefined;
  const parts = [req.protocol, req.authorizer ? `authorizer ${req.authorizer}` : 'default authorizer', req.clientId !== undefined ? `client id ${req.clientId}` : ''];
  const reqLines = built ? [parts.filter((p) => p !== '').join(', ')] : [];
  if (req.token !== undefined) reqLines.push(`token ${req.token}`);
  if (req.serverName) reqLines.push(`server ${req.serverName}`);
  if (req.wire?.mqtt?.username) reqLines.push(`MQTT username ${req.wire.mqtt.username}`);
  if (req.wire?.mqtt?.hasPassword) reqLines.push('MQTT password (hidden)');
  if (result.source.eventFile) reqLines.push(`from ${result.source.eventFile}`);
  if (reqLines.length > 0) t.field('Request', reqLines.join('\n'));
  if (result.outcome !== 'request-error') t.field('Signature', signatureText(result.signature));

  const n = result.validation?.normalized;
  if (n) {
    const decision = [`isAuthenticated ${n.isAuthenticated}`, `principal ${n.principalId || '(none)'}`];
    if (n.refreshAfterInSeconds !== undefined) decision.push(`refresh after ${formatDuration(n.refreshAfterInSeconds)}`);
    if (n.disconnectAfterInSeconds !== undefined) decision.push(`disconnect after ${formatDuration(n.disconnectAfterInSeconds)}`);
    decision.push(`${n.policyDocuments.length} policy document${n.policyDocuments.length === 1 ? '' : 's'}`);
    t.field('Decision', decision.join('\n'));
  }

  const findings = result.validation?.findings ?? [];
  if (result.validation) {
    t.line();
    if (findings.length === 0) t.field('Response', t.paint('good', 'valid: AWS accepts it'));
    else {
      const errors = findings.filter((f) => f.severity === 'error').length;
      t.field('Response', result.validation.valid ? `valid, ${findings.length} note${findings.length === 1 ? '' : 's'}` : t.paint('bad', `rejected by AWS: ${errors} error${errors === 1 ? '' : 's'}`));
      for (const f of findings) for (const line of formatFinding(f, opts).split('\n')) t.line(`  ${line}`);
    }
  }

  const ev = result.evaluation;
  if (ev) {
    t.line();
    const ctx = [`region ${ev.context.region}`, `account ${ev.context.accountId}`, ev.context.clientId !== undefined ? `client id ${ev.context.clientId}` : 'no client id (HTTPS)'];
    t.field('Policies', ctx.join(', '));
    if (ev.decisions.length > 0) {
      const rows = [['ACTION', 'RESOURCE', 'VERDICT', 'DECIDED BY'], ...ev.decisions.map((d) => [d.action, d.resourceArn, d.allowed ? 'allow' : 'deny', decidedBy(d)])];
      const tones: (Tone | undefined)[] = [undefined, ...ev.decisions.map((d): Tone => (d.allowed ? 'good' : 'bad'))];
      for (const line of table(rows, t, tones)) t.line(`  ${line}`);
    } else t.line('  (the policies name no resource to try)');
    for (const w of ev.summary.warnings) for (const line of warningLine(w, t).split('\n')) t.line(`  ${line}`);
    for (const u of ev.summary.unsupported) t.line(`  ${t.paint('warn', u.code)}  ${u.path}: ${u.message}`);
  }

  if (result.problems.length > 0) {
    t.line();
    t.heading('Notes');
    for (const p of result.problems) t.line(`  ${formatProblem(p, t)}`);
  }

  if (result.error) {
    t.line();
    t.field('Error', `${t.paint('bad', result.error.code)}: ${result.error.message}`);
    if (result.error.detail) for (const line of result.error.detail.split('\n')) t.line(`  ${t.paint('dim', line)}`);
  }

  const logText = result.logs.text.replace(/\n$/, '');
  if (logText !== '' || result.logs.truncated) {
    t.line();
    const max = opts.maxLogLines ?? DEFAULT_MAX_LOG_LINES;
    const lines = logText === '' ? [] : logText.split('\n');
    t.heading(`Logs${result.logs.truncated ? ' (truncated: the handler wrote more than is kept)' : ''}`);
    for (const line of lines.slice(-max)) t.line(`  | ${line}`);
    if (lines.length > max) t.line(`  ${t.paint('dim', `(${lines.length - max} earlier lines not shown)`)}`);
  }

  if (!built) return t.lines.join('\n') + '\n';
  t.line();
  const tm = result.timings;
  const timing = [`total ${formatMs(tm.totalMs)}`];
  if (tm.invokeMs !== undefined) timing.push(`handler ${formatMs(tm.invokeMs)}`);
  if (tm.initMs !== undefined) timing.push(`init ${formatMs(tm.initMs)}`);
  const queued = queuedNote(tm);
  if (queued !== undefined) timing.push(queued);
  if (tm.cold !== undefined) timing.push(tm.cold ? 'cold start' : 'warm');
  t.field('Timings', timing.join(', '));
  return t.lines.join('\n') + '\n';
}
