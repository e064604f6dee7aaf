// How each run outcome is shown, in one place for the results panel (browser code), the CodeLens,
// the history picker and the status bar. Browser-safe: the webview bundles it.
import type { RunOutcome } from './result';

export interface OutcomePresentation {
  readonly label: string;
  /** A codicon name, e.g. `pass` (shown as `$(pass)` in the editor, `codicon-pass` in the panel). */
  readonly icon: string;
  readonly tone: 'good' | 'warn' | 'bad';
}

export const OUTCOME_PRESENTATION: Readonly<Record<RunOutcome, OutcomePresentation>> = {
  allowed: { label: 'Allowed', icon: 'pass', tone: 'good' },
  denied: { label: 'Denied', icon: 'circle-slash', tone: 'warn' },
  'invalid-response': { label: 'Invalid response', icon: 'error', tone: 'bad' },
  'signature-rejected': { label: 'Signature rejected', icon: 'shield', tone: 'bad' },
  'handler-error': { label: 'Handler error', icon: 'error', tone: 'bad' },
  'request-error': { label: 'Request error', icon: 'warning', tone: 'bad' },
  'session-ended': { label: 'Session ended', icon: 'debug-disconnect', tone: 'warn' },
};

/** The outcome's icon in editor text (status bar, CodeLens, QuickPick): `$(pass)`. */
export function outcomeIcon(outcome: RunOutcome): string {
  return `$(${OUTCOME_PRESENTATION[outcome].icon})`;
}
