// Runs a workspace authorizer handler on this machine, always in a child process (never in
// the caller's: a handler that loops, exits or leaks cannot take the editor down). Workers stay
// warm between invokes and are replaced when one of the handler's source files changes, when
// they time out, or when they die. Like a Lambda execution environment, a worker serves one
// invocation at a time: a handler has up to `maxWorkersPerHandler` of them (default 1), and an
// invoke that finds them all busy waits for the first one free, in arrival order.
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

export interface RuntimeOptions extends InvokeOptions {
  /** Workers one handler may have at once: how many of its invocations run concurrently. Default 1. */
  readonly maxWorkersPerHandler?: number;
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

/**
 * The workers of one handler file. `busy` counts the slots taken: workers running an
 * invocation and workers being started or replaced for one. A slot is handed straight from
 * the invoke that frees it to the longest waiting one, so no later arrival overtakes it.
 */
interface Pool {
  readonly idle: WarmWorker[];
  busy: number;
  readonly waiters: Array<{ readonly take: (warm: WarmWorker | undefined) => void; readonly fail: (e: Error) => void }>;
}

export class LocalRuntime {
  private readonly pools = new Map<string, Pool>();
  /** Every live worker, idle or busy, for workerPids and dispose. */
  private readonly live = new Set<WarmWorker>();
  /** Workers still loading their handler: not warm yet, but dispose stops them too. */
  private readonly starting = new Set<Worker>();
  private readonly maxWorkers: number;
  private readonly defaults: InvokeOptions;
  private disposed = false;

  constructor(
    options: RuntimeOptions = {},
    private readonly assetsDir: () => string = () => runtimeAssetsDir(),
  ) {
    const { maxWorkersPerHandler, ...defaults } = options;
    const max = maxWorkersPerHandler ?? 1;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxWorkersPerHandler must be a whole number of at least 1 (was ${max}).`);
    this.maxWorkers = max;
    this.defaults = defaults;
  }

  /** Runs the authorizer's handler with `event`; never throws for a handler's failure. */
  invoke(config: AuthorizerConfig, event: unknown, options: InvokeOptions = {}): Promise<RuntimeResult> {
    return this.withSlot(config.handlerFile, (held) => this.invokeNow(config, event, { ...this.defaults, ...options }, held));
  }

  /**
   * Sends `payload` to the handler's warm worker and back without calling the handler: the
   * cost of the channel alone. Returns the round-trip time in milliseconds.
   */
  echo(config: AuthorizerConfig, payload: unknown, options: InvokeOptions = {}): Promise<number> {
    return this.withSlot(config.handlerFile, async (held) => {
      const opts = { ...this.defaults, ...options };
      const { warm, failure } = await this.warmWorker(config, opts, held);
      if (!warm) throw new Error(failure?.error?.message ?? 'The worker did not start.');
      held.warm = warm;
      const t0 = performance.now();
      await warm.worker.echo(payload);
      return performance.now() - t0;
    });
  }

  /** Pids of the running workers. */
  workerPids(): number[] {
    return [...this.live].map((w) => w.worker.pid).filter((p): p is number => p !== undefined);
  }

  /** Stops every worker (by pid) and waits until they are gone; invokes still waiting for a worker fail. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.live].map((w) => w.worker).concat([...this.starting]);
    this.live.clear();
    this.starting.clear();
    for (const pool of this.pools.values()) {
      pool.idle.length = 0;
      for (const w of pool.waiters.splice(0)) w.fail(new Error('LocalRuntime was disposed.'));
    }
    await Promise.all(all.map((w) => w.kill()));
  }

  /**
   * Runs `run` holding one of the handler's worker slots: an idle warm worker when there is
   * one, else a free slot to start one in, else the first slot freed, in arrival order. `run`
   * leaves the worker it ended with in `held.warm`; a live one goes back to the idle list.
   */
  private async withSlot<T>(key: string, run: (held: { warm?: WarmWorker }) => Promise<T>): Promise<T> {
    if (this.disposed) throw new Error('LocalRuntime was disposed.');
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = { idle: [], busy: 0, waiters: [] }));
    const p = pool;
    let warm: WarmWorker | undefined;
    if (p.idle.length > 0) {
      warm = p.idle.pop();
      p.busy++;
    } else if (p.busy < this.maxWorkers) {
      p.busy++;
    } else {
      warm = await new Promise<WarmWorker | undefined>((take, fail) => p.waiters.push({ take, fail }));
    }
    const held: { warm?: WarmWorker } = { warm };
    try {
      return await run(held);
    } finally {
      this.release(p, held.warm);
    }
  }

  /** Frees a slot: the worker (when still usable) and the slot go to the first waiter, else back to the pool. */
  private release(pool: Pool, warm: WarmWorker | undefined): void {
    const usable = warm !== undefined && warm.worker.alive && this.live.has(warm) && !this.disposed;
    if (warm && !usable) this.live.delete(warm);
    const next = pool.waiters.shift();
    if (next) {
      next.take(usable ? warm : undefined);
      return;
    }
    pool.busy--;
    if (usable) pool.idle.push(warm);
  }

  private async invokeNow(config: AuthorizerConfig, event: unknown, opts: InvokeOptions, held: { warm?: WarmWorker }): Promise<RuntimeResult> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    const { warm, failure, cold, reloadedBecause } = await this.warmWorker(config, opts, held);
    held.warm = warm;
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

  /** The slot's worker when it is alive and current, or a new one in its place. */
  private async warmWorker(
    config: AuthorizerConfig,
    opts: InvokeOptions,
    held: { warm?: WarmWorker },
  ): Promise<{
    warm?: WarmWorker & { initMs?: number };
    failure?: { error?: RuntimeError; logs: CapturedLogs; initMs?: number; pid?: number };
    cold: boolean;
    reloadedBecause?: string;
  }> {
    if (this.disposed) throw new Error('LocalRuntime was disposed.');
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
    const existing = held.warm;
    let reloadedBecause: string | undefined;
    if (existing) {
      const changed = existing.worker.alive ? existing.snapshot.changedFile() : undefined;
      if (existing.worker.alive && !changed && existing.fingerprint === fingerprint) return { warm: existing, cold: false };
      if (changed) reloadedBecause = changed;
      held.warm = undefined;
      this.live.delete(existing);
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
    this.starting.add(worker);
    const ready = await worker.ready(opts.initTimeoutMs ?? LAMBDA_INIT_TIMEOUT_MS).finally(() => this.starting.delete(worker));
    const readyError = ready.error ?? ready.message?.error;
    if (ready.message) snapshot.add(ready.message.files);
    if (readyError || !ready.message) {
      await worker.kill();
      return { cold: true, reloadedBecause, failure: { error: readyError, logs: ready.logs, initMs: ready.message?.initMs, pid: worker.pid } };
    }
    const warm = { worker, fingerprint, snapshot, identity, version: ready.message.version, initMs: ready.message.initMs };
    if (this.disposed) {
      await worker.kill();
      throw new Error('LocalRuntime was disposed.');
    }
    this.live.add(warm);
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
