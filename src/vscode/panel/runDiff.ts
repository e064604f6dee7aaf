// "Compare with previous": what changed between a run and the earlier run of the same event
// (outcome, principal, refresh/disconnect, each policy document line by line, findings).
// Pure, so the unit tests check the diff the panel shows.
import { formatDuration } from '../../core/format';
import type { InvocationResult } from '../../core/result';
import type { DiffLine, FieldChange, RunComparison } from '../../webview/protocol';

/** Longest-common-subsequence line diff; documents are at most 2048 characters, so O(n·m) is fine. */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = before[i] === after[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      out.push({ kind: 'same', text: before[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ kind: 'removed', text: before[i++] });
    } else {
      out.push({ kind: 'added', text: after[j++] });
    }
  }
  while (i < n) out.push({ kind: 'removed', text: before[i++] });
  while (j < m) out.push({ kind: 'added', text: after[j++] });
  return out;
}

/** A document as readable lines: pretty-printed when it is JSON, as returned otherwise. */
export function documentLines(text: string): string[] {
  try {
    return JSON.stringify(JSON.parse(text), null, 2).split('\n');
  } catch {
    return text.split('\n');
  }
}

function seconds(value: number | undefined): string {
  return value === undefined ? '(not set)' : formatDuration(value);
}

function findingKeys(run: InvocationResult): string[] {
  return [
    ...(run.validation?.findings ?? []).map((f) => `${f.severity}: ${f.path ? `${f.path}: ` : ''}${f.message}`),
    ...run.problems.map((p) => `${p.severity}: ${p.field ? `${p.field}: ` : ''}${p.message}`),
    ...(run.evaluation?.summary.warnings ?? []).map((w) => `${w.severity}: ${w.message}`),
    ...(run.error ? [`error: ${run.error.code}: ${run.error.message}`] : []),
  ];
}

export function compareRuns(run: InvocationResult, previous: InvocationResult | undefined): RunComparison {
  if (!previous) return { runId: run.id, changes: [], documents: [], findingsAdded: [], findingsRemoved: [] };
  const a = previous.validation?.normalized;
  const b = run.validation?.normalized;
  const fields: Array<[string, string, string]> = [
    ['Outcome', previous.outcome, run.outcome],
    ['Signature', previous.signature.status, run.signature.status],
    ['Principal', a?.principalId ?? '(none)', b?.principalId ?? '(none)'],
    ['Refresh after', seconds(a?.refreshAfterInSeconds), seconds(b?.refreshAfterInSeconds)],
    ['Disconnect after', seconds(a?.disconnectAfterInSeconds), seconds(b?.disconnectAfterInSeconds)],
    ['Policy documents', String(a?.policyDocuments.length ?? 0), String(b?.policyDocuments.length ?? 0)],
  ];
  const changes: FieldChange[] = fields.filter(([, x, y]) => x !== y).map(([field, before, after]) => ({ field, before, after }));
  const docsBefore = a?.policyDocuments ?? [];
  const docsAfter = b?.policyDocuments ?? [];
  const documents: Array<RunComparison['documents'][number]> = [];
  for (let i = 0; i < Math.max(docsBefore.length, docsAfter.length); i++) {
    const x = docsBefore[i] ? documentLines(docsBefore[i].text) : [];
    const y = docsAfter[i] ? documentLines(docsAfter[i].text) : [];
    const lines = diffLines(x, y);
    const status = !docsBefore[i] ? 'added' : !docsAfter[i] ? 'removed' : lines.every((l) => l.kind === 'same') ? 'same' : 'changed';
    documents.push({ index: i, status, lines });
  }
  const before = new Set(findingKeys(previous));
  const after = new Set(findingKeys(run));
  return {
    runId: run.id,
    previous: { id: previous.id, startedAt: previous.startedAt, headline: previous.headline },
    changes,
    documents,
    findingsAdded: [...after].filter((f) => !before.has(f)),
    findingsRemoved: [...before].filter((f) => !after.has(f)),
  };
}
