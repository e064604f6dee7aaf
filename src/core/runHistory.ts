// The stored shape of the run history (the editor keeps it in workspace state) and how it is
// read back. What is read back is not trusted: new targets and fields change InvocationResult,
// and an older or newer extension may have written the state. Each stored run is checked for the
// fields every reader relies on; a run that does not parse is dropped, never shown half-read.
import type { InvocationResult, RunOutcome, RunTarget } from './result';

/** Version of the stored shape. Bump it when a stored run could no longer parse as InvocationResult. */
export const RUN_HISTORY_VERSION = 2;

/** What is stored: `{ version, runs }`, runs newest first. */
export interface StoredRunHistory {
  readonly version: typeof RUN_HISTORY_VERSION;
  readonly runs: readonly InvocationResult[];
}

/** What reading the stored history found: the runs kept, and how many were dropped. */
export interface ReadRunHistory {
  readonly runs: InvocationResult[];
  readonly dropped: number;
  /** True when what was stored is not the current shape and should be written back. */
  readonly migrated: boolean;
}

const OUTCOMES: ReadonlySet<RunOutcome> = new Set<RunOutcome>(['allowed', 'denied', 'invalid-response', 'signature-rejected', 'handler-error', 'request-error', 'session-ended']);

type Rec = Record<string, unknown>;

function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTarget(v: unknown): v is RunTarget {
  if (!isRecord(v)) return false;
  if (v.kind === 'local') return true;
  if (v.kind === 'aws') return typeof v.region === 'string';
  if (v.kind === 'endpoint') return typeof v.url === 'string';
  return false;
}

/**
 * One stored run as an InvocationResult, or undefined when a field every reader relies on is
 * missing or of the wrong type. A run of version 1 (no `target`) was a local run.
 */
export function parseStoredRun(value: unknown): InvocationResult | undefined {
  if (!isRecord(value)) return undefined;
  const v = value.target === undefined ? { ...value, target: { kind: 'local' } } : value;
  const ok =
    typeof v.id === 'string' &&
    v.id !== '' &&
    typeof v.startedAt === 'string' &&
    isTarget(v.target) &&
    OUTCOMES.has(v.outcome as RunOutcome) &&
    typeof v.headline === 'string' &&
    isRecord(v.request) &&
    typeof v.request.protocol === 'string' &&
    isRecord(v.signature) &&
    typeof v.signature.status === 'string' &&
    Array.isArray(v.problems) &&
    isRecord(v.logs) &&
    typeof v.logs.text === 'string' &&
    isRecord(v.timings) &&
    typeof v.timings.totalMs === 'number' &&
    isRecord(v.source);
  return ok ? (v as unknown as InvocationResult) : undefined;
}

/**
 * Reads what the history key holds (`current`), else what the version 1 key held (`legacy`, a
 * bare array). Runs that do not parse are dropped; ids seen twice keep their first (newest) run.
 */
export function readRunHistory(current: unknown, legacy?: unknown): ReadRunHistory {
  let stored: unknown[];
  let migrated = false;
  if (isRecord(current) && current.version === RUN_HISTORY_VERSION && Array.isArray(current.runs)) {
    stored = current.runs;
  } else if (current === undefined && Array.isArray(legacy)) {
    stored = legacy;
    migrated = true;
  } else {
    // Nothing stored, or a shape this version does not know (e.g. written by a newer extension).
    // It is left as it is until the next run is added.
    return { runs: [], dropped: Array.isArray(current) ? current.length : 0, migrated: false };
  }
  const runs: InvocationResult[] = [];
  const seen = new Set<string>();
  for (const s of stored) {
    const run = parseStoredRun(s);
    if (!run || seen.has(run.id)) continue;
    seen.add(run.id);
    runs.push(run);
  }
  const dropped = stored.length - runs.length;
  return { runs, dropped, migrated: migrated || dropped > 0 };
}

export function storedRunHistory(runs: readonly InvocationResult[]): StoredRunHistory {
  return { version: RUN_HISTORY_VERSION, runs };
}
