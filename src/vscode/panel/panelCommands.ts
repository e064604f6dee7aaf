// Commands of the "results panel and history" section: open the panel, pick a run from the
// history, clear the history. Arguments skip the prompts (tests, CodeLens, other commands).
import * as vscode from 'vscode';
import { outcomeIcon } from '../../core/outcomes';
import { asRecord, runIdOf } from '../commandArgs';
import type { CommandHandlers } from '../commands';
import type { Services } from '../features';
import type { ResultsPanel } from './resultsPanel';
import { historyEntryOf } from './runView';

export function resultsPanelHandlers(s: Services, panel: ResultsPanel) {
  return {
    /** Opens the panel on the run given, else the one shown, else the latest; returns its id. */
    'iotAuthz.openResults': (arg?: unknown) => {
      panel.open(runIdOf(arg));
      return panel.shownRunId;
    },
    /** Picks a run of the history (newest first) and shows it; returns its id. */
    'iotAuthz.showHistory': async (arg?: unknown) => {
      let runId = runIdOf(arg);
      if (runId === undefined) {
        const runs = s.runs.runs();
        if (runs.length === 0) {
          void vscode.window.showInformationMessage('No runs yet in this workspace: run a test event first ("IoT Authorizer: Run Test Event").');
          return undefined;
        }
        const pick = await vscode.window.showQuickPick(
          runs.map((run) => {
            const e = historyEntryOf(run);
            return { label: `${outcomeIcon(e.outcome)} ${e.label}`, description: new Date(e.startedAt).toLocaleString(), detail: e.headline, runId: e.id };
          }),
          { title: 'Run history', placeHolder: 'Show a run in the results panel', matchOnDescription: true, matchOnDetail: true },
        );
        runId = pick?.runId;
      }
      if (runId === undefined) return undefined;
      panel.open(runId);
      return runId;
    },
    /** Empties the history after asking (`{ confirm: true }` skips the question); returns how many runs went. */
    'iotAuthz.clearHistory': async (arg?: unknown) => {
      const count = s.runs.runs().length;
      if (count === 0) return 0;
      const confirmed = asRecord(arg).confirm === true;
      if (!confirmed) {
        const answer = await vscode.window.showWarningMessage(
          `Clear the ${count} run${count === 1 ? '' : 's'} of this workspace's history?`,
          { modal: true, detail: 'The results panel and "Compare with previous" read the history. Event files are not touched.' },
          'Clear History',
        );
        if (answer !== 'Clear History') return undefined;
      }
      await s.runs.clear();
      panel.refresh();
      return count;
    },
  } satisfies Partial<CommandHandlers>;
}
