// The extension's one LocalRuntime: created on the first run (never at activation), set up
// from the settings, replaced when an interpreter setting changes, and stopped with the
// extension so no handler worker outlives the window.
import * as vscode from 'vscode';
import { LAMBDA_MAX_TIMEOUT_MS, LAMBDA_TIMEOUT_MS, LOCAL_TIMEOUT_MIN_MS, LOCAL_TIMEOUT_SETTING, PYTHON_PATH_SETTING } from '../core/constants';
import { InvokeOptions, LocalRuntime } from '../local/runtime';

/** The settings the runtime reads, as invoke options. */
export function invokeOptionsFromSettings(config: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration()): InvokeOptions {
  // Only a value the user set: the runtime's own default is `python` on Windows, `python3` elsewhere.
  const set = config.inspect<string>(PYTHON_PATH_SETTING);
  const pythonPath = (set?.workspaceFolderValue ?? set?.workspaceValue ?? set?.globalValue)?.trim();
  const timeout = config.get<number>(LOCAL_TIMEOUT_SETTING);
  const timeoutMs =
    typeof timeout === 'number' && Number.isFinite(timeout)
      ? Math.min(LAMBDA_MAX_TIMEOUT_MS, Math.max(LOCAL_TIMEOUT_MIN_MS, Math.round(timeout)))
      : LAMBDA_TIMEOUT_MS;
  return { ...(pythonPath ? { pythonPath } : {}), timeoutMs };
}

export class LocalRuntimeHost implements vscode.Disposable {
  private runtime: LocalRuntime | undefined;
  private options: InvokeOptions | undefined;
  private listener: vscode.Disposable | undefined;

  /** The running LocalRuntime, created on first use. */
  get(): LocalRuntime {
    if (!this.runtime) {
      this.options = invokeOptionsFromSettings();
      this.runtime = new LocalRuntime(this.options);
      this.listener ??= vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(PYTHON_PATH_SETTING) || e.affectsConfiguration(LOCAL_TIMEOUT_SETTING)) void this.reset();
      });
    }
    return this.runtime;
  }

  /** What the current runtime was configured with (settings are re-read after a change). */
  invokeOptions(): InvokeOptions {
    return this.options ?? invokeOptionsFromSettings();
  }

  /** Pids of the warm handler workers (tests and diagnostics). */
  workerPids(): number[] {
    return this.runtime?.workerPids() ?? [];
  }

  /** Stops the workers; the next run starts a runtime with the current settings. */
  async reset(): Promise<void> {
    const old = this.runtime;
    this.runtime = undefined;
    this.options = undefined;
    await old?.dispose();
  }

  dispose(): void {
    this.listener?.dispose();
    // LocalRuntime.dispose sends SIGKILL to every worker synchronously, then waits for the exits.
    void this.reset();
  }
}
