// The one message protocol between the results panel's webview and the extension: what each
// side may send, as one union type per direction. Imported by both sides, so it holds types
// and pure checks only (no `vscode`, no DOM). The webview receives view models built for
// display (RunView), never the raw InvocationResult: nothing it does not show.
import type { FindingSeverity } from '../core/response';
import type { RunOutcome } from '../core/result';
import type { SignatureStatus } from '../core/events';
import type { IotAction } from '../core/policy';
import { ConnectionSnippet, SNIPPET_KINDS, SnippetKind } from '../core/snippets';
import type { TestProtocol } from '../core/testEvent';

/** A place in the workspace a finding points at; the extension checks it belongs to a run. */
export interface SourceLocation {
  readonly file: string;
  /** 1-based, when known. */
  readonly line?: number;
  /** Inside a JSON file (event, project), e.g. `credentials.signature`. */
  readonly jsonPath?: string;
}

export interface FindingView {
  readonly severity: FindingSeverity;
  /** Where it comes from: the handler's answer, the request / event file, the returned policies. */
  readonly origin: 'response' | 'request' | 'policy';
  readonly code?: string;
  /** JSON path inside the response or event, e.g. `policyDocuments[0].Statement[1].Resource`. */
  readonly path?: string;
  readonly message: string;
  readonly hint?: string;
  readonly location?: SourceLocation;
  /** What clicking opens, e.g. "authorizer.js". */
  readonly locationLabel?: string;
}

export interface PolicyDocumentView {
  readonly index: number;
  /** The document as measured (what AWS counts); the webview pretty-prints it for reading. */
  readonly text: string;
  readonly length: number;
  readonly limit: number;
  readonly form: 'object' | 'string';
}

export interface DecisionRowView {
  readonly action: IotAction;
  readonly resourceArn: string;
  readonly allowed: boolean;
  readonly reason: 'explicit-deny' | 'allowed' | 'implicit-deny';
  /** "Document 1, statement 2 (Sid): Allow iot:Publish on …"; absent for an implicit deny. */
  readonly decidedBy?: string;
  readonly certain: boolean;
  readonly notes: readonly string[];
}

export interface PolicyContextView {
  readonly region: string;
  readonly accountId: string;
  readonly clientId?: string;
}

export interface RunView {
  readonly id: string;
  readonly startedAt: string;
  readonly outcome: RunOutcome;
  readonly headline: string;
  readonly target: { readonly kind: 'local' | 'aws' | 'endpoint'; readonly label: string };
  readonly request: {
    readonly authorizer?: string;
    readonly protocol: TestProtocol;
    readonly protocolLabel: string;
    readonly clientId?: string;
    readonly token?: string;
    readonly endpoint?: string;
  };
  readonly signature: { readonly status: SignatureStatus; readonly keyName?: string; readonly diagnosis?: string };
  /** Present when the handler answered an object. */
  readonly decision?: {
    readonly isAuthenticated: boolean;
    readonly principalId: string;
    readonly refresh?: string;
    readonly disconnect?: string;
  };
  /** "57 ms" and "handler 0.4 ms · init 0.6 ms · cold start". */
  readonly duration: { readonly total: string; readonly detail?: string };
  readonly error?: { readonly code: string; readonly message: string; readonly detail?: string; readonly location?: SourceLocation };
  readonly findings: readonly FindingView[];
  readonly documents: readonly PolicyDocumentView[];
  readonly evaluation?: {
    readonly context: PolicyContextView;
    readonly rows: readonly DecisionRowView[];
  };
  readonly logs: { readonly text: string; readonly truncated: boolean };
  readonly snippets: readonly ConnectionSnippet[];
  readonly sources: {
    readonly eventFile?: { readonly file: string; readonly label: string };
    readonly handler?: { readonly file: string; readonly label: string };
  };
  /** Why a header action does not apply to this run, by action; absent: it applies. */
  readonly unavailable: RunActionReasons;
  readonly hasResponse: boolean;
  /** The run this one is compared with, when there is one. */
  readonly previousId?: string;
}

/** The results panel's header actions that depend on the run: Re-run, Run locally / against AWS, Run against endpoint, Save as test event. */
export interface RunActionReasons {
  readonly rerun?: string;
  readonly switchTarget?: string;
  readonly runOnEndpoint?: string;
  readonly save?: string;
}

export interface HistoryEntry {
  readonly id: string;
  readonly startedAt: string;
  readonly outcome: RunOutcome;
  readonly headline: string;
  /** The event file's name, or "authorizer · protocol". */
  readonly label: string;
}

export interface DiffLine {
  readonly kind: 'same' | 'added' | 'removed';
  readonly text: string;
}

export interface FieldChange {
  readonly field: string;
  readonly before: string;
  readonly after: string;
}

export interface RunComparison {
  readonly runId: string;
  /** Absent when no earlier run of the same event exists. */
  readonly previous?: { readonly id: string; readonly startedAt: string; readonly headline: string };
  readonly changes: readonly FieldChange[];
  readonly documents: ReadonlyArray<{ readonly index: number; readonly status: 'added' | 'removed' | 'changed' | 'same'; readonly lines: readonly DiffLine[] }>;
  readonly findingsAdded: readonly string[];
  readonly findingsRemoved: readonly string[];
}

/** Extension → webview. */
export type ToWebview =
  | { readonly type: 'showRun'; readonly run: RunView; readonly history: readonly HistoryEntry[] }
  | { readonly type: 'empty' }
  | { readonly type: 'history'; readonly history: readonly HistoryEntry[] }
  | { readonly type: 'compare'; readonly comparison: RunComparison }
  | { readonly type: 'notice'; readonly text: string };

export type CopyWhat = { readonly what: 'response' } | { readonly what: 'snippet'; readonly snippet: SnippetKind };

/** Webview → extension. */
export type FromWebview =
  /** The page loaded; `runId` is the run its saved state shows (after a reload). */
  | { readonly type: 'ready'; readonly runId?: string }
  /** A run finished rendering, with how long it took (tests and the performance check read it). */
  | { readonly type: 'rendered'; readonly runId: string; readonly ms: number }
  | { readonly type: 'selectRun'; readonly runId: string }
  | { readonly type: 'rerun'; readonly runId: string }
  /** Run the same request on the other target: a local run against AWS (test-invoke), an AWS run locally. */
  | { readonly type: 'switchTarget'; readonly runId: string }
  /** Send the run's request as an HTTP publish to the local endpoint (started when it is not running). */
  | { readonly type: 'runOnEndpoint'; readonly runId: string }
  | { readonly type: 'compare'; readonly runId: string }
  | { readonly type: 'saveAsTestEvent'; readonly runId: string }
  | ({ readonly type: 'copy'; readonly runId: string } & CopyWhat)
  | ({ readonly type: 'openLocation' } & SourceLocation);

export type FromWebviewType = FromWebview['type'];

/** What the webview keeps with vscode.setState: the selected run's id only. */
export interface PanelState {
  readonly runId?: string;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 4096;
const optStr = (v: unknown) => v === undefined || isStr(v);
const SNIPPET_KIND_SET: ReadonlySet<string> = new Set<string>(SNIPPET_KINDS);

/** One shape check per message type: the webview is untrusted input like any other. */
const CHECKS: { readonly [K in FromWebviewType]: (m: Rec) => boolean } = {
  ready: (m) => optStr(m.runId),
  rendered: (m) => isStr(m.runId) && typeof m.ms === 'number',
  selectRun: (m) => isStr(m.runId),
  rerun: (m) => isStr(m.runId),
  switchTarget: (m) => isStr(m.runId),
  runOnEndpoint: (m) => isStr(m.runId),
  compare: (m) => isStr(m.runId),
  saveAsTestEvent: (m) => isStr(m.runId),
  copy: (m) => isStr(m.runId) && (m.what === 'response' || (m.what === 'snippet' && typeof m.snippet === 'string' && SNIPPET_KIND_SET.has(m.snippet))),
  openLocation: (m) =>
    isStr(m.file) &&
    (m.line === undefined || (typeof m.line === 'number' && Number.isInteger(m.line) && m.line >= 1)) &&
    (m.jsonPath === undefined || typeof m.jsonPath === 'string'),
};

/** The message if it is a well-formed FromWebview, else undefined. */
export function parseFromWebview(value: unknown): FromWebview | undefined {
  if (!isRec(value) || typeof value.type !== 'string' || !Object.prototype.hasOwnProperty.call(CHECKS, value.type)) return undefined;
  return CHECKS[value.type as FromWebviewType](value) ? (value as unknown as FromWebview) : undefined;
}

/** The saved webview state if it is well-formed, else an empty state. */
export function parsePanelState(value: unknown): PanelState {
  return isRec(value) && isStr(value.runId) ? { runId: value.runId } : {};
}
