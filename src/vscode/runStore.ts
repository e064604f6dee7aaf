// Where every run's result goes: commands (local now, AWS and the endpoint later) add results;
// the output channel, the status bar, Problems (runPublisher.ts), the CodeLens and the results
// panel listen. Keeps the last HISTORY_SIZE runs in workspace state across reloads, in the
// versioned shape of core/runHistory.ts; results are already secret-free (see core/result.ts).
import * as vscode from 'vscode';
import type { InvocationResult } from '../core/result';
import { readRunHistory, storedRunHistory } from '../core/runHistory';

export const HISTORY_SIZE = 50;
/** The key of the versioned history (`{ version, runs }`). */
export const HISTORY_STATE_KEY = 'iotAuthz.runHistory';
/** Where version 1 kept a bare array; read once, migrated, then removed. */
export const LEGACY_HISTORY_STATE_KEY = 'iotAuthz.runHistory.v1';

export class RunStore implements vscode.Disposable {
  private readonly added = new vscode.EventEmitter<InvocationResult>();
  /** Fires after a run is added (newest first in `runs()`). */
  readonly onDidAddRun = this.added.event;
  private cache: InvocationResult[] | undefined;
  /** Stored runs dropped because they did not parse, on the first read. */
  droppedOnRead = 0;

  constructor(private readonly state: vscode.Memento) {}

  /** Newest first. */
  runs(): readonly InvocationResult[] {
    if (this.cache) return this.cache;
    const read = readRunHistory(this.state.get<unknown>(HISTORY_STATE_KEY), this.state.get<unknown>(LEGACY_HISTORY_STATE_KEY));
    this.cache = read.runs.slice(0, HISTORY_SIZE);
    this.droppedOnRead = read.dropped;
    if (read.migrated) void this.save();
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
    await this.save();
    this.added.fire(run);
  }

  async clear(): Promise<void> {
    this.cache = [];
    await this.save();
  }

  private async save(): Promise<void> {
    await this.state.update(HISTORY_STATE_KEY, storedRunHistory(this.cache ?? []));
    if (this.state.get(LEGACY_HISTORY_STATE_KEY) !== undefined) await this.state.update(LEGACY_HISTORY_STATE_KEY, undefined);
  }

  dispose(): void {
    this.added.dispose();
  }
}
