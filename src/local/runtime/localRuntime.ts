// Runs a workspace authorizer handler on this machine, always in a child process (never in
// the caller's: a handler that loops, exits or leaks cannot take the editor down). One worker
// per handler file stays warm between invokes and is replaced when one of the handler's
// source files changes, when it times out, or when it dies.
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { randomUUID } from 'crypto';
import {
  HANDLER_SCAN_MAX_DEPTH,
  HANDLER_SCAN_MAX_FILES,
  LAMBDA_INIT_TIMEOUT_MS,
  LAMBDA_MAX_RESPONSE_BYTES,
  LAMBDA_TIMEOUT_MS,
  NODE_WORKER_FILE,
  PYTHON_BOOTSTRAP_FILE,
  PYTHON_PATH_CLI_OPTION,
  PYTHON_PATH_SETTING,
} from '../../core/constants';
import type { AuthorizerConfig } from '../../core/project';
import { runtimeAssetsDir } from './assets';
import { CapturedLogs } from './logCapture';
import { lambdaContextFields, lambdaEnvironment, lambdaIdentity, LambdaIdentity } from './lambdaEnvironment';
import { RuntimeError, WorkerSettings } from './protocol';
import { limitFindings } from './limits';
import { SourceSnapshot } from './sourceSnapshot';
import { Worker, WorkerLaunch } from './worker';

export interface InvokeOptions {
  /** Limit for one handler call; default LAMBDA_TIMEOUT_MS (AWS's 5 s). */
  readonly timeoutMs?: number;
  /** Limit for loading the handler module; default LAMBDA_INIT_TIMEOUT_MS. */
  readonly initTimeoutMs?: number;
  /** Python interpreter; default `python3` (`python` on Windows). */
  readonly pythonPath?: string;
  /** Node.js binary for JavaScript/TypeScript handlers; default the current process's. */
  readonly nodePath?: string;
  /** Extra environment variables for the handler, on top of Lambda's. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RuntimeTimings {
  /** Wall time of the whole call, including starting and loading a cold worker. */
  readonly totalMs: number;
  /** Loading the handler module (cold starts only). */
  readonly initMs?: number;
  /** The handler's own run time, measured inside the worker (Lambda's "Duration"). */
  readonly invokeMs?: number;
  /** True when this call started a new worker. */
  readonly cold: boolean;
}

interface RuntimeResultBase {
  /** The context's aws_request_id / awsRequestId. */
  readonly requestId: string;
  readonly logs: CapturedLogs;
  readonly timings: RuntimeTimings;
  /** Differences from AWS worth knowing, e.g. a local Python older than the Lambda runtime. */
  readonly warnings: readonly string[];
  /** Limits AWS enforces that this run exceeded (memory, cold start time): it would fail there. */
  readonly limitFindings?: readonly string[];
  /** Set when a changed source file made this call restart the worker. */
  readonly reloadedBecause?: string;
  /** The worker process that ran the handler (gone again after a timeout or a failed load). */
  readonly workerPid?: number;
}

export type RuntimeResult = RuntimeResultBase & ({ readonly ok: true; readonly response: unknown } | { readonly ok: false; readonly error: RuntimeError });

interface WarmWorker {
  readonly worker: Worker;
  readonly fingerprint: string;
  readonly snapshot: SourceSnapshot;
  readonly identity: LambdaIdentity;
  readonly version: string;
}

const DEFAULT_PYTHON = process.platform === 'win32' ? 'python' : 'python3';

function interpreterOf(config: AuthorizerConfig, opts: InvokeOptions): string {
  return config.language === 'python' ? (opts.pythonPath ?? DEFAULT_PYTHON) : (opts.nodePath ?? process.execPath);
}

/** `python3.12` vs local `3.11.7`, `nodejs20.x` vs local `v22.1.0`: a mismatch is worth a warning. */
function versionWarning(config: AuthorizerConfig, localVersion: string): string | undefined {
  const py = /^python(\d+\.\d+)$/.exec(config.runtime);
  if (py && !localVersion.startsWith(`${py[1]}.`)) {
    return `Local Python is ${localVersion}; the authorizer runs on ${config.runtime} in AWS.`;
  }
  const node = /^nodejs(\d+)\.x$/.exec(config.runtime);
  if (node && !localVersion.startsWith(`v${node[1]}.`)) {
    return `Local Node.js is ${localVersion}; the authorizer runs on ${config.runtime} in AWS.`;
  }
  return undefined;
}

export class LocalRuntime {
  private readonly workers = new Map<string, WarmWorker>();
  /** Invokes of one handler run one after another, as one Lambda instance serves one request. */
  private readonly lanes = new Map<string, Promise<unknown>>();
  private disposed = false;

  constructor(
    private readonly defaults: InvokeOptions = {},
    private readonly assetsDir: () => string = () => runtimeAssetsDir(),
  ) {}

  /** Runs the authorizer's handler with `event`; never throws for a handler's failure. */
  invoke(config: AuthorizerConfig, event: unknown, options: InvokeOptions = {}): Promise<RuntimeResult> {
    return this.inLane(config.handlerFile, () => this.invokeNow(config, event, { ...this.defaults, ...options }));
  }

  /**
   * Sends `payload` to the handler's warm worker and back without calling the handler: the
   * cost of the channel alone. Returns the round-trip time in milliseconds.
   */
  echo(config: AuthorizerConfig, payload: unknown, options: InvokeOptions = {}): Promise<number> {
    return this.inLane(config.handlerFile, async () => {
      const opts = { ...this.defaults, ...options };
      const { warm, failure } = await this.warmWorker(config, opts);
      if (!warm) throw new Error(failure?.error?.message ?? 'The worker did not start.');
      const t0 = performance.now();
      await warm.worker.echo(payload);
      return performance.now() - t0;
    });
  }

  /** Pids of the running workers. */
  workerPids(): number[] {
    return [...this.workers.values()].map((w) => w.worker.pid).filter((p): p is number => p !== undefined);
  }

  /** Stops every worker (by pid) and waits until they are gone. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(all.map((w) => w.worker.kill()));
  }

  private inLane<T>(key: string, run: () => Promise<T>): Promise<T> {
    const before = this.lanes.get(key) ?? Promise.resolve();
    const next = before.then(run, run);
    this.lanes.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  private async invokeNow(config: AuthorizerConfig, event: unknown, opts: InvokeOptions): Promise<RuntimeResult> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    const { warm, failure, cold, reloadedBecause } = await this.warmWorker(config, opts);
    if (!warm) {
      return {
        ok: false,
        error: failure?.error ?? { code: 'WORKER_EXITED', message: 'The worker did not start.' },
        requestId: randomUUID(),
        logs: failure?.logs ?? { text: '', truncated: false },
        timings: { totalMs: elapsed(), initMs: failure?.initMs, cold: true },
        warnings: [],
        reloadedBecause,
        workerPid: failure?.pid,
      };
    }
    const timeoutMs = opts.timeoutMs ?? LAMBDA_TIMEOUT_MS;
    const context = lambdaContextFields(warm.identity, timeoutMs);
    const outcome = await warm.worker.invoke({ type: 'invoke', functionName: config.handlerFunction, event, context }, timeoutMs);
    if (outcome.message?.files) warm.snapshot.add(outcome.message.files);
    if (!warm.worker.alive) this.forget(config.handlerFile, warm);
    const base = {
      requestId: context.awsRequestId,
      logs: outcome.logs,
      timings: { totalMs: elapsed(), initMs: cold ? warm.initMs : undefined, invokeMs: outcome.message?.durationMs, cold },
      warnings: [versionWarning(config, warm.version)].filter((w): w is string => w !== undefined),
      limitFindings: limitFindings({
        cold,
        initMs: warm.initMs,
        invokeMs: outcome.message?.durationMs,
        maxRssKb: outcome.message?.maxRssKb,
        memoryMb: warm.identity.memoryMb,
      }),
      reloadedBecause,
      workerPid: warm.worker.pid,
    };
    const error = outcome.error ?? outcome.message?.error;
    if (error) return { ...base, ok: false, error };
    return { ...base, ok: true, response: outcome.message?.response };
  }

  private forget(key: string, warm: WarmWorker): void {
    if (this.workers.get(key) === warm) this.workers.delete(key);
  }

  /** The running worker for this handler, or a new one when there is none or it is stale. */
  private async warmWorker(
    config: AuthorizerConfig,
    opts: InvokeOptions,
  ): Promise<{
    warm?: WarmWorker & { initMs?: number };
    failure?: { error?: RuntimeError; logs: CapturedLogs; initMs?: number; pid?: number };
    cold: boolean;
    reloadedBecause?: string;
  }> {
    if (this.disposed) throw new Error('LocalRuntime was disposed.');
    const key = config.handlerFile;
    const fingerprint = JSON.stringify([
      config.language,
      config.runtime,
      config.name,
      config.aws,
      config.environment ?? {},
      config.memorySize,
      interpreterOf(config, opts),
      opts.env ?? {},
    ]);
    const existing = this.workers.get(key);
    let reloadedBecause: string | undefined;
    if (existing) {
      const changed = existing.worker.alive ? existing.snapshot.changedFile() : undefined;
      if (existing.worker.alive && !changed && existing.fingerprint === fingerprint) return { warm: existing, cold: false };
      if (changed) reloadedBecause = changed;
      this.workers.delete(key);
      await existing.worker.kill();
    }
    if (!fs.existsSync(config.handlerFile)) {
      return {
        cold: true,
        reloadedBecause,
        failure: {
          logs: { text: '', truncated: false },
          error: {
            code: 'HANDLER_FILE_NOT_FOUND',
            message: `The handler file ${config.handlerFile} does not exist. Create it, or fix "handler" ("${config.handler}") in iot-authorizer.json.`,
            detail: { file: config.handlerFile },
          },
        },
      };
    }
    const identity = lambdaIdentity(config);
    const snapshot = new SourceSnapshot();
    snapshot.add([config.handlerFile]);
    const worker = new Worker(this.launchFor(config, opts, identity), this.settingsFor(config));
    const ready = await worker.ready(opts.initTimeoutMs ?? LAMBDA_INIT_TIMEOUT_MS);
    const readyError = ready.error ?? ready.message?.error;
    if (ready.message) snapshot.add(ready.message.files);
    if (readyError || !ready.message) {
      await worker.kill();
      return { cold: true, reloadedBecause, failure: { error: readyError, logs: ready.logs, initMs: ready.message?.initMs, pid: worker.pid } };
    }
    const warm = { worker, fingerprint, snapshot, identity, version: ready.message.version, initMs: ready.message.initMs };
    this.workers.set(key, warm);
    return { warm, cold: true, reloadedBecause };
  }

  private settingsFor(config: AuthorizerConfig): Omit<WorkerSettings, 'logMarker'> {
    return {
      handlerFile: config.handlerFile,
      maxResponseBytes: LAMBDA_MAX_RESPONSE_BYTES,
      scanMaxDepth: HANDLER_SCAN_MAX_DEPTH,
      scanMaxFiles: HANDLER_SCAN_MAX_FILES,
    };
  }

  private launchFor(config: AuthorizerConfig, opts: InvokeOptions, identity: LambdaIdentity): WorkerLaunch {
    const env = lambdaEnvironment(config, identity, opts.env);
    const cwd = path.dirname(config.handlerFile);
    const command = interpreterOf(config, opts);
    if (config.language === 'python') {
      return {
        command,
        args: ['-u', path.join(this.assetsDir(), PYTHON_BOOTSTRAP_FILE)],
        cwd,
        env: { ...env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' },
        channel: 'stdio',
        interpreterHint: `Install Python 3, or set its path: the ${PYTHON_PATH_SETTING} setting in VS Code, or ${PYTHON_PATH_CLI_OPTION} <path> on the command line.`,
      };
    }
    return {
      command,
      args: [path.join(this.assetsDir(), NODE_WORKER_FILE)],
      cwd,
      // Lets the editor's own binary (Electron) run as plain Node.js.
      env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
      channel: 'fd3',
      interpreterHint: 'Install Node.js, or set the path of the node binary to use.',
    };
  }
}
