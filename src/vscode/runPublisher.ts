// What a finished run shows outside the results panel, whichever target ran it: its text in the
// output channel, its headline in the status bar, its findings in the Problems view. All of it
// listens to the RunStore, so a producer only adds its result to the store.
import * as vscode from 'vscode';
import { formatInvocationResult } from '../core/format';
import { outcomeIcon } from '../core/outcomes';
import type { InvocationResult } from '../core/result';
import { OPEN_RESULTS_COMMAND } from './codeLens';
import type { AuthorizerDiagnostics } from './diagnostics';
import type { Services } from './features';

const STATUS_MESSAGE_MS = 15000;

export function publishRuns(s: Services, diagnostics: AuthorizerDiagnostics): vscode.Disposable {
  let hasResultsPanel = false;
  const show = async (result: InvocationResult): Promise<void> => {
    s.log.append(`\n${formatInvocationResult(result)}`);
    vscode.window.setStatusBarMessage(`${outcomeIcon(result.outcome)} ${result.headline}`, STATUS_MESSAGE_MS);
    diagnostics.showRun(result);
    // Until the results panel exists, the output channel is where a run's answer shows.
    hasResultsPanel ||= (await vscode.commands.getCommands(true)).includes(OPEN_RESULTS_COMMAND);
    if (!hasResultsPanel) s.log.show();
  };
  return s.runs.onDidAddRun((result) => {
    show(result).catch((e: unknown) => s.log.error(`Showing run ${result.id} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  });
}
