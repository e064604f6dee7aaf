// One warm worker process running one handler file: spawning it, the JSON-lines channel,
// per-invocation log capture and the kill on timeout. LocalRuntime decides when to start,
// reuse or replace workers; this class only runs one.
import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { Readable, Writable } from 'stream';
import { LOG_CAPTURE_MAX_BYTES, WORKER_EXIT_DRAIN_MS } from '../../core/constants';
import { CappedText, CapturedLogs, MarkerSplitter } from './logCapture';
import { delay, killProcessTree, ownProcessGroup, timerDelay } from './processTree';
import { RuntimeError, WORKER_SETTINGS_ENV, WorkerMessage, WorkerRequest, WorkerSettings } from './protocol';

export interface WorkerLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** `fd3`: Node workers talk on a dedicated pipe; `stdio`: Python talks on stdin/stdout. */
  readonly channel: 'fd3' | 'stdio';
  /** Shown in INTERPRETER_NOT_FOUND: how to point the toolkit at another interpreter. */
  readonly interpreterHint: string;
}

export type ReadyMessage = Extract<WorkerMessage, { type: 'ready' }>;
export type ResultMessage = Extract<WorkerMessage, { type: 'result' }>;

export interface WorkerOutcome<T> {
  readonly message?: T;
  readonly error?: RuntimeError;
  readonly logs: CapturedLogs;
}

interface Pending {
  message?: ResultMessage | ReadyMessage;
  /** Log streams that have delivered this request's end marker. */
  markersSeen: number;
  /** Invocations close their logs with a marker; a load closes them only when it failed. */
  readonly needsMarkers: (message: ResultMessage | ReadyMessage) => boolean;
  readonly settle: (outcome: { message?: ResultMessage | ReadyMessage; error?: RuntimeError }) => void;
}

export class Worker {
  readonly logMarker = `\u001eiot-authz-end:${randomBytes(8).toString('hex')}:`;
  /** Starts every line the worker sends; see framedLine. */
  private readonly channelNonce = `@${randomBytes(16).toString('hex')}@`;
  private readonly child: ChildProcess;
  private readonly input: Writable;
  private readonly logStreams: Readable[];
  private logs: CappedText = new CappedText(LOG_CAPTURE_MAX_BYTES);
  private readonly pending = new Map<number, Pending>();
  private readonly echoes = new Map<number, (payload: unknown) => void>();
  private nextId = 1;
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
  /** The worker process ended (its output may still be draining). */
  private exited = false;
  private spawnError?: NodeJS.ErrnoException;
  private readonly closed: Promise<void>;
  /** Set when the worker was killed on purpose, so its exit is not reported as a crash. */
  private killedFor?: RuntimeError;

  constructor(private readonly launch: WorkerLaunch, settings: Omit<WorkerSettings, 'logMarker'>) {
    const workerSettings: WorkerSettings = { ...settings, logMarker: this.logMarker };
    this.child = spawn(launch.command, [...launch.args], {
      cwd: launch.cwd,
      env: { ...launch.env, [WORKER_SETTINGS_ENV]: JSON.stringify(workerSettings) },
      stdio: launch.channel === 'fd3' ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      ...ownProcessGroup(),
    });
    const [stdin, stdout, stderr, fd3] = this.child.stdio as unknown as [Writable | null, Readable, Readable, (Readable & Writable) | undefined];
    const messages = launch.channel === 'fd3' ? (fd3 as Readable & Writable) : stdout;
    this.input = launch.channel === 'fd3' ? (fd3 as Readable & Writable) : (stdin as Writable);
    this.logStreams = launch.channel === 'fd3' ? [stdout, stderr] : [stderr];
    this.input.on('error', () => undefined); // a dead worker's pipe; the exit path reports it
    this.input.write(`${this.channelNonce}\n`);
    this.readLines(messages, (line) => {
      let message: WorkerMessage;
      try {
        if (!line.startsWith(this.channelNonce)) throw new Error('unframed');
        message = JSON.parse(line.slice(this.channelNonce.length)) as WorkerMessage;
      } catch {
        // Something other than the worker wrote to its channel: nothing it says can be trusted.
        void this.kill({ code: 'WORKER_EXITED', message: 'The worker\'s message channel received data that is not a protocol message (did the handler write to file descriptor 3?); the worker was stopped.' });
        return;
      }
      this.onMessage(message);
    });
    const splitters = this.logStreams.map((stream) => {
      const splitter = new MarkerSplitter(this.logMarker, (t) => this.logs.append(t), (id) => this.onMarker(id));
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => splitter.push(chunk));
      return splitter;
    });
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      // Only a failed start matters here; a failed kill is followed by the normal exit path.
      if (this.child.pid !== undefined) return;
      this.spawnError = err;
      this.failAllPending();
    });
    const pipesClosed = new Promise<void>((resolve) => this.child.on('close', () => resolve()));
    // Settle on the worker's exit: its pipes may stay open in a child the handler started, so
    // end the group and wait for the last output only briefly.
    this.closed = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        killProcessTree(this.child.pid);
        void Promise.race([pipesClosed, delay(WORKER_EXIT_DRAIN_MS)]).then(() => {
          this.exitInfo = { code, signal };
          for (const stream of [stdin, stdout, stderr, fd3]) stream?.destroy();
          for (const s of splitters) s.flush();
          this.failAllPending();
          resolve();
        });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited && this.exitInfo === undefined && this.spawnError === undefined;
  }

  /** Waits for the worker to load the handler. Init logs stay for the first invocation. */
  ready(timeoutMs: number): Promise<WorkerOutcome<ReadyMessage>> {
    return this.await<ReadyMessage>(0, timeoutMs, 'init');
  }

  invoke(request: Omit<Extract<WorkerRequest, { type: 'invoke' }>, 'id'>, timeoutMs: number): Promise<WorkerOutcome<ResultMessage>> {
    const id = this.nextId++;
    const done = this.await<ResultMessage>(id, timeoutMs, 'invoke');
    this.write({ ...request, id });
    return done;
  }

  /** Round trip of `payload` through the channel, without the handler. */
  echo(payload: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.echoes.set(id, resolve);
      if (!this.alive) reject(new Error('The worker is not running.'));
      this.write({ type: 'echo', id, payload });
    });
  }

  /** Kills the worker's process group and resolves once the worker is gone and its output drained. */
  async kill(reason?: RuntimeError): Promise<void> {
    this.killedFor ??= reason;
    if (this.alive) killProcessTree(this.child.pid);
    if (this.spawnError) return;
    await this.closed;
  }

  private write(request: WorkerRequest): void {
    if (this.alive) this.input.write(JSON.stringify(request) + '\n');
  }

  private await<T extends ResultMessage | ReadyMessage>(id: number, timeoutMs: number, phase: 'init' | 'invoke'): Promise<WorkerOutcome<T>> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        void this.kill({
          code: 'TIMEOUT',
          message: phase === 'init'
            ? `Loading the handler took longer than ${timeoutMs} ms (Lambda's init limit); the worker was stopped. Look for slow or blocking top-level code.`
            : `The handler did not answer within ${timeoutMs} ms; the worker was stopped. AWS counts a slow authorizer as a failure: look for a slow network call, a blocking wait, a promise that never settles or a callback never called.`,
          detail: { phase, timeoutMs },
        });
      }, timerDelay(timeoutMs));
      const finish = (outcome: { message?: ResultMessage | ReadyMessage; error?: RuntimeError }) => {
        clearTimeout(timer);
        this.pending.delete(id);
        const logs = this.logs.result();
        // Init output belongs to the first invocation: only a failed load hands it over here.
        if (phase === 'invoke' || outcome.error || (outcome.message as ReadyMessage | undefined)?.error) {
          this.logs = new CappedText(LOG_CAPTURE_MAX_BYTES);
        }
        resolve({ message: outcome.message as T | undefined, error: outcome.error, logs });
      };
      this.pending.set(id, {
        markersSeen: 0,
        needsMarkers: phase === 'invoke' ? () => true : (m) => m.type === 'ready' && m.error !== undefined,
        settle: finish,
      });
      if (this.spawnError || this.exitInfo) this.failAllPending();
    });
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === 'echo') {
      this.echoes.get(message.id)?.(message.payload);
      this.echoes.delete(message.id);
      return;
    }
    const id = message.type === 'ready' ? 0 : message.id;
    const p = this.pending.get(id);
    if (!p) return;
    p.message = message;
    this.settleIfComplete(p);
  }

  private onMarker(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    p.markersSeen++;
    this.settleIfComplete(p);
  }

  private settleIfComplete(p: Pending): void {
    if (p.message && (!p.needsMarkers(p.message) || p.markersSeen >= this.logStreams.length)) p.settle({ message: p.message });
  }

  private failAllPending(): void {
    for (const p of [...this.pending.values()]) {
      // The answer came but the process ended before its log marker: the answer stands.
      if (p.message) p.settle({ message: p.message });
      else p.settle({ error: this.killedFor ?? this.exitError() });
    }
  }

  private exitError(): RuntimeError {
    if (this.spawnError) {
      const notFound = this.spawnError.code === 'ENOENT' || this.spawnError.code === 'EACCES';
      return notFound
        ? {
            code: 'INTERPRETER_NOT_FOUND',
            message: `Cannot start "${this.launch.command}" (${this.spawnError.code}). ${this.launch.interpreterHint}`,
            detail: { command: this.launch.command },
          }
        : { code: 'WORKER_EXITED', message: `Cannot start "${this.launch.command}": ${this.spawnError.message}`, detail: { command: this.launch.command } };
    }
    const { code, signal } = this.exitInfo ?? { code: null, signal: null };
    return {
      code: 'WORKER_EXITED',
      message: `The handler's process ended before answering (${signal ? `signal ${signal}` : `exit code ${code}`}). Look for a process.exit / os._exit call or a crash in the logs.`,
      detail: { exitCode: code, signal },
    };
  }

  private readLines(stream: Readable, onLine: (line: string) => void): void {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) onLine(line);
      }
    });
  }
}
