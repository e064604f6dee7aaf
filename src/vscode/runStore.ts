// Where every run's result goes: commands add results, the results panel, diagnostics and
// the output channel listen. Keeps the last HISTORY_SIZE runs in workspace state across
// reloads; results are already secret-free (see core/result.ts).
import * as vscode from 'vscode';
import type { InvocationResult } from '../core/result';

export const HISTORY_SIZE = 50;
const STATE_KEY = 'iotAuthz.runHistory.v1';

export class RunStore implements vscode.Disposable {
  private readonly added = new vscode.EventEmitter<InvocationResult>();
  /** Fires after a run is added (newest first in `runs()`). */
  readonly onDidAddRun = this.added.event;
  private cache: InvocationResult[] | undefined;

  constructor(private readonly state: vscode.Memento) {}

  /** Newest first. */
  runs(): readonly InvocationResult[] {
    this.cache ??= this.state.get<InvocationResult[]>(STATE_KEY, []);
    return this.cache;
  }

  get(id: string): InvocationResult | undefined {
    return this.runs().find((r) => r.id === id);
  }

  latest(): InvocationResult | undefined {
    return this.runs()[0];
  }

  /** The run before `run` of the same event file (or same authorizer and protocol). */
  previousOf(run: InvocationResult): InvocationResult | undefined {
    const list = this.runs();
    const i = list.findIndex((r) => r.id === run.id);
    return list.slice(i + 1).find((r) =>
      run.source.eventFile
        ? r.source.eventFile === run.source.eventFile
        : r.request.authorizer === run.request.authorizer && r.request.protocol === run.request.protocol,
    );
  }

  async add(run: InvocationResult): Promise<void> {
    this.cache = [run, ...this.runs().filter((r) => r.id !== run.id)].slice(0, HISTORY_SIZE);
    await this.state.update(STATE_KEY, this.cache);
    this.added.fire(run);
  }

  async clear(): Promise<void> {
    this.cache = [];
    await this.state.update(STATE_KEY, []);
  }

  dispose(): void {
    this.added.dispose();
  }
}
