// InvocationResult → what the results panel shows (RunView, webview/protocol.ts). Only the fields
// the panel displays are copied: the event the handler received, its raw answer and the wire
// request stay in the extension. Pure (no `vscode`), so unit tests read the same view.
import * as path from 'path';
import { MAX_POLICY_DOCUMENT_LENGTH } from '../../core/constants';
import { formatDuration, formatMs as ms, queuedNote } from '../../core/format';
import type { InvocationResult, RunTarget } from '../../core/result';
import { connectionSnippets, snippetRequestFromRun } from '../../core/snippets';
import { PROTOCOL_LABELS } from '../../core/testEvent';
import { decisionRow } from '../../webview/decisionRow';
import type { FindingView, HistoryEntry, RunActionReasons, RunView, SourceLocation } from '../../webview/protocol';

export interface RunViewOptions {
  /** The authorizer's tokenKeyName from the project file, when it could be read. */
  readonly tokenKeyName?: string;
  /** The earlier run of the same event, for "Compare with previous". */
  readonly previousId?: string;
}

export function targetLabel(t: RunTarget): string {
  switch (t.kind) {
    case 'local':
      return 'Local (this machine)';
    case 'aws':
      return `AWS ${t.accountId ? `${t.accountId} ` : ''}${t.region}${t.profile ? ` (profile ${t.profile})` : ''}`;
    case 'endpoint':
      return `Local endpoint ${t.url}`;
  }
}


export function durationOf(run: InvocationResult): RunView['duration'] {
  const t = run.timings;
  const parts: string[] = [];
  if (t.invokeMs !== undefined) parts.push(`handler ${ms(t.invokeMs)}`);
  if (t.initMs !== undefined) parts.push(`init ${ms(t.initMs)}`);
  const queued = queuedNote(t);
  if (queued !== undefined) parts.push(queued);
  if (t.cold !== undefined) parts.push(t.cold ? 'cold start' : 'warm');
  return parts.length ? { total: ms(t.totalMs), detail: parts.join(' · ') } : { total: ms(t.totalMs) };
}

/** `file:LINE` of the handler in an error's detail (a stack or `file:line:col`). */
function errorLine(detail: string | undefined, handlerFile: string | undefined): number | undefined {
  if (!detail || !handlerFile) return undefined;
  const escaped = handlerFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`${escaped}:(\\d+)`).exec(detail);
  return m ? Number(m[1]) : undefined;
}

function findingsOf(run: InvocationResult): FindingView[] {
  const handler = run.source.handlerFile;
  const event = run.source.eventFile;
  const handlerAt: SourceLocation | undefined = handler ? { file: handler } : undefined;
  const handlerLabel = handler ? path.basename(handler) : undefined;
  const out: FindingView[] = [];
  for (const p of run.problems) {
    // `whatIf` names a request the panel asked for, not a field of the event file.
    const inEvent = event !== undefined && p.field !== undefined && p.field !== 'whatIf';
    out.push({
      severity: p.severity,
      origin: 'request',
      ...(p.field ? { path: p.field } : {}),
      message: p.message,
      ...(inEvent ? { location: { file: event, jsonPath: p.field }, locationLabel: path.basename(event) } : {}),
    });
  }
  for (const f of run.validation?.findings ?? []) {
    out.push({
      severity: f.severity,
      origin: 'response',
      code: f.code,
      ...(f.path ? { path: f.path } : {}),
      message: f.message,
      hint: f.hint,
      ...(handlerAt ? { location: handlerAt, locationLabel: handlerLabel } : {}),
    });
  }
  for (const w of run.evaluation?.summary.warnings ?? []) {
    out.push({ severity: w.severity, origin: 'policy', code: w.code, message: w.message, hint: w.hint, ...(handlerAt ? { location: handlerAt, locationLabel: handlerLabel } : {}) });
  }
  for (const u of run.evaluation?.summary.unsupported ?? []) {
    out.push({ severity: 'warning', origin: 'policy', code: u.code, path: u.path, message: u.message, ...(handlerAt ? { location: handlerAt, locationLabel: handlerLabel } : {}) });
  }
  const order = { error: 0, warning: 1, info: 2 } as const;
  return out.map((f, i) => ({ f, i })).sort((a, b) => order[a.f.severity] - order[b.f.severity] || a.i - b.i).map((x) => x.f);
}

const NO_REQUEST: RunActionReasons = { runOnEndpoint: 'This run has no request to send', save: 'This run has no request to save' };

/**
 * Which header actions cannot apply to `run`, and why. A local endpoint run came from a device:
 * only the device repeats it, and an MQTT operation after the CONNECT (publish, subscribe,
 * delivery, refresh, session end) carries no credentials of its own to save or send.
 */
export function unavailableActions(run: InvocationResult): RunActionReasons {
  const req = run.request;
  const noRequest = req.wire === undefined;
  if (run.target.kind === 'endpoint') {
    if (req.operation !== undefined && req.operation !== 'CONNECT') {
      const why = `A ${req.operation} on a connection, decided on the policies its CONNECT returned: it has no credentials of its own. Open the connection's CONNECT run to save or send its request`;
      return { rerun: why, switchTarget: why, runOnEndpoint: why, save: why };
    }
    const fromDevice = 'A device sent this request to the local endpoint: send it again from the device, or save it as a test event and run that';
    return {
      rerun: fromDevice,
      switchTarget: fromDevice,
      ...(noRequest ? NO_REQUEST : {}),
    };
  }
  const nothing = run.source.eventFile === undefined && req.authorizer === undefined ? 'This run names no event file or authorizer to run again' : undefined;
  return {
    ...(nothing ? { rerun: nothing, switchTarget: nothing } : {}),
    ...(noRequest ? NO_REQUEST : {}),
  };
}

/** The view of one run for the panel. */
export function runViewOf(run: InvocationResult, options: RunViewOptions = {}): RunView {
  const n = run.validation?.normalized;
  const req = run.request;
  const handler = run.source.handlerFile;
  const event = run.source.eventFile;
  const snippetRequest = snippetRequestFromRun(run, { tokenKeyName: options.tokenKeyName });
  const line = errorLine(run.error?.detail, handler);
  return {
    id: run.id,
    startedAt: run.startedAt,
    outcome: run.outcome,
    headline: run.headline,
    target: { kind: run.target.kind, label: targetLabel(run.target) },
    request: {
      ...(req.authorizer !== undefined ? { authorizer: req.authorizer } : {}),
      protocol: req.protocol,
      protocolLabel: req.transport ?? PROTOCOL_LABELS[req.protocol].long,
      ...(req.clientId !== undefined ? { clientId: req.clientId } : {}),
      ...(req.token !== undefined ? { token: req.token } : {}),
      ...(req.serverName !== undefined ? { endpoint: req.serverName } : {}),
    },
    signature: {
      status: run.signature.status,
      ...(run.signature.keyName !== undefined ? { keyName: run.signature.keyName } : {}),
      ...(run.signature.diagnosis !== undefined ? { diagnosis: run.signature.diagnosis } : {}),
    },
    ...(n
      ? {
          decision: {
            isAuthenticated: n.isAuthenticated,
            principalId: n.principalId,
            ...(n.refreshAfterInSeconds !== undefined ? { refresh: formatDuration(n.refreshAfterInSeconds) } : {}),
            ...(n.disconnectAfterInSeconds !== undefined ? { disconnect: formatDuration(n.disconnectAfterInSeconds) } : {}),
          },
        }
      : {}),
    duration: durationOf(run),
    ...(run.error
      ? {
          error: {
            code: run.error.code,
            message: run.error.message,
            ...(run.error.detail !== undefined ? { detail: run.error.detail } : {}),
            ...(handler ? { location: { file: handler, ...(line !== undefined ? { line } : {}) } } : {}),
          },
        }
      : {}),
    findings: findingsOf(run),
    documents: (n?.policyDocuments ?? []).map((d) => ({ index: d.index, text: d.text, length: d.length, limit: MAX_POLICY_DOCUMENT_LENGTH, form: d.form })),
    ...(run.evaluation
      ? {
          evaluation: {
            context: {
              region: run.evaluation.context.region,
              accountId: run.evaluation.context.accountId,
              ...(run.evaluation.context.clientId !== undefined ? { clientId: run.evaluation.context.clientId } : {}),
            },
            rows: run.evaluation.decisions.map(decisionRow),
          },
        }
      : {}),
    logs: { text: run.logs.text, truncated: run.logs.truncated },
    snippets: snippetRequest ? connectionSnippets(snippetRequest) : [],
    sources: {
      ...(event ? { eventFile: { file: event, label: path.basename(event) } } : {}),
      ...(handler ? { handler: { file: handler, label: `${path.basename(handler)}${run.source.handlerFunction ? ` · ${run.source.handlerFunction}` : ''}` } } : {}),
    },
    unavailable: unavailableActions(run),
    hasResponse: run.response !== undefined,
    ...(options.previousId !== undefined ? { previousId: options.previousId } : {}),
  };
}

export function historyEntryOf(run: InvocationResult): HistoryEntry {
  const label = run.source.eventFile ? path.basename(run.source.eventFile) : `${run.request.authorizer ?? 'default authorizer'} · ${run.request.protocol}`;
  return { id: run.id, startedAt: run.startedAt, outcome: run.outcome, headline: run.headline, label };
}

/** The handler's answer as it returned it (already secret-free, see core/result.ts). */
export function responseJson(run: InvocationResult): string | undefined {
  return run.response === undefined ? undefined : JSON.stringify(run.response, null, 2);
}
