// Runs the local IoT endpoint in a child process (`node dist/cli.js endpoint --json --port N
// --workspace DIR`) so it never blocks the extension host. It reads the child's stdout: one
// JSON object per line ("listening", "workspace", "decision", "stopped"). Each decision becomes
// an InvocationResult (target endpoint) pushed to the DecisionStream, so the results panel opens
// it as a run. Its status (stopped / starting / running / failed with the reason) drives the
// Authorizers view and the status bar. Stop and dispose kill the child by its pid.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as path from 'path';
import type { DecisionKind, DecisionStream } from '../core/decisions';
import { decisionToInvocationResult, endsSession } from '../endpoint/decisionResult';
import type { EndpointDecision } from '../endpoint/decisions';
import type { MqttConnectionInfo } from '../endpoint/mqtt';

export interface EndpointRunning {
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  readonly authorizers: readonly string[];
  /** The workspace folder whose iot-authorizer.json was registered. */
  readonly workspace: string;
  /** The MQTT listener (mqtt://127.0.0.1:PORT). */
  readonly mqttUrl?: string;
  /** MQTT over TLS with ALPN mqtt, and HTTPS (wss:// at /mqtt): only when openssl made the certificate. */
  readonly mqtts?: TlsListener;
  readonly https?: TlsListener;
}

export interface TlsListener {
  readonly url: string;
  /** The self-signed certificate clients trust (curl --cacert, an SDK's CA file). */
  readonly caFile: string;
}

let opensslPresent: boolean | undefined;
/**
 * The TLS listeners need the openssl CLI for their certificate (src/endpoint/tls.ts): the editor
 * asks for them only when openssl runs, so a machine without it still gets HTTP and MQTT.
 */
function hasOpenssl(): boolean {
  opensslPresent ??= spawnSync('openssl', ['version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  return opensslPresent;
}

export type EndpointStatus =
  | { readonly state: 'stopped' }
  | { readonly state: 'starting'; readonly workspace: string }
  | ({ readonly state: 'running' } & EndpointRunning)
  | { readonly state: 'failed'; readonly reason: string; readonly fix: string };

export interface EndpointStartOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly pythonPath?: string;
  /** Invocations of one function at once (`--concurrency`); default the endpoint's. */
  readonly concurrency?: number;
}

type Line =
  | { event: 'listening'; url: string; port: number; protocol?: string; caFile?: string }
  | { event: 'workspace'; authorizers: ReadonlyArray<{ name: string }> }
  | { event: 'decision'; decision: EndpointDecision }
  | { event: 'connections'; connections: MqttConnectionInfo[] }
  | { event: 'stopped' };

/** Why the child could not start or stopped on its own, and what the user can do about it. */
export function explainEndpointFailure(stderr: string, code: number | null, signal: string | null, port: number): { reason: string; fix: string } {
  const text = stderr.trim();
  const last = text.split('\n').filter((l) => l.trim() !== '').slice(-3).join(' ') || `exit code ${code ?? '?'}${signal ? `, signal ${signal}` : ''}`;
  if (/EADDRINUSE/.test(text)) {
    return {
      reason: `Port ${port} on 127.0.0.1 is already in use.`,
      fix: 'Stop the program using that port, or set "iotAuthz.endpoint.port" to 0 so the endpoint picks a free port, then start it again.',
    };
  }
  if (/PROJECT_INVALID|iot-authorizer\.json/.test(text)) {
    return { reason: `The workspace's iot-authorizer.json could not be registered: ${last}`, fix: 'Fix the errors shown in the Problems view for iot-authorizer.json, then start the endpoint again.' };
  }
  return {
    reason: `The local endpoint exited (${signal ? `signal ${signal}` : `code ${code ?? '?'}`}): ${last}`,
    fix: 'Check "IoT Authorizer: Show Output" for the endpoint\'s messages, then start it again.',
  };
}

export class EndpointHost {
  private child: ChildProcess | undefined;
  private current: EndpointStatus = { state: 'stopped' };
  private stopping = false;
  private live: readonly MqttConnectionInfo[] = [];

  constructor(
    /** dist/cli.js of this extension. */
    private readonly cliFile: string,
    private readonly decisions: DecisionStream,
    private readonly changed: () => void,
    /** Lines the child writes to stderr (warnings such as a key that could not be registered). */
    private readonly onStderr: (line: string) => void = () => {},
  ) {}

  get status(): EndpointStatus {
    return this.current;
  }

  get running(): EndpointRunning | undefined {
    const s = this.current;
    return s.state === 'running'
      ? {
          pid: s.pid, url: s.url, port: s.port, authorizers: s.authorizers, workspace: s.workspace,
          ...(s.mqttUrl !== undefined ? { mqttUrl: s.mqttUrl } : {}), ...(s.mqtts ? { mqtts: s.mqtts } : {}), ...(s.https ? { https: s.https } : {}),
        }
      : undefined;
  }

  /** The live MQTT connections of the running endpoint, as it last reported them. */
  get connections(): readonly MqttConnectionInfo[] {
    return this.current.state === 'running' ? this.live : [];
  }

  /** The child's pid while it runs (starting or running). */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  private set(status: EndpointStatus): void {
    this.current = status;
    this.changed();
  }

  /** Starts the endpoint for `workspace` and resolves once it listens and registered the workspace. */
  start(workspace: string, options: EndpointStartOptions = {}): Promise<EndpointRunning> {
    const running = this.running;
    if (running) return Promise.resolve(running);
    if (this.child) return Promise.reject(new Error('The local endpoint is already starting: wait for it, or stop it first.'));
    const port = options.port ?? 0;
    const args = [this.cliFile, 'endpoint', '--json', '--port', String(port), '--mqtt-port', '0', '--workspace', workspace];
    if (hasOpenssl()) args.push('--mqtts-port', '0', '--tls');
    if (options.pythonPath) args.push('--python', options.pythonPath);
    if (options.concurrency !== undefined) args.push('--concurrency', String(options.concurrency));
    const child = spawn(process.execPath, args, {
      cwd: path.dirname(workspace),
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.stopping = false;
    this.live = [];
    this.set({ state: 'starting', workspace });
    let stderr = '';
    let stderrLine = '';
    child.stderr?.on('data', (b: Buffer) => {
      const text = b.toString();
      stderr = (stderr + text).slice(-4000);
      stderrLine += text;
      let nl: number;
      while ((nl = stderrLine.indexOf('\n')) >= 0) {
        const line = stderrLine.slice(0, nl);
        stderrLine = stderrLine.slice(nl + 1);
        if (line.trim() !== '') this.onStderr(line);
      }
    });
    return new Promise((resolve, reject) => {
      let buffered = '';
      let listening: { url: string; port: number } | undefined;
      let mqttUrl: string | undefined;
      const tls: { mqtts?: TlsListener; https?: TlsListener } = {};
      let settled = false;
      child.stdout?.on('data', (b: Buffer) => {
        buffered += b.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const text = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          let line: Line;
          try {
            line = JSON.parse(text) as Line;
          } catch {
            continue;
          }
          if (line.event === 'listening' && line.protocol === 'mqtt') mqttUrl = line.url;
          else if (line.event === 'listening' && (line.protocol === 'mqtts' || line.protocol === 'https')) {
            if (line.caFile !== undefined) tls[line.protocol] = { url: line.url, caFile: line.caFile };
          } else if (line.event === 'listening' && !listening) listening = { url: line.url, port: line.port };
          else if (line.event === 'workspace' && listening && child.pid !== undefined && this.child === child) {
            const r: EndpointRunning = {
              pid: child.pid,
              ...listening,
              authorizers: line.authorizers.map((a) => a.name),
              workspace,
              ...(mqttUrl !== undefined ? { mqttUrl } : {}),
              ...tls,
            };
            this.set({ state: 'running', ...r });
            settled = true;
            resolve(r);
          } else if (line.event === 'decision') this.onDecision(line.decision);
          else if (line.event === 'connections' && this.child === child) {
            this.live = line.connections;
            this.changed();
          }
        }
      });
      child.on('error', (e) => {
        if (this.child === child) this.child = undefined;
        this.set({ state: 'failed', reason: `The local endpoint could not be started: ${e.message}`, fix: 'Check "IoT Authorizer: Show Output", then start it again.' });
        if (!settled) reject(e);
        settled = true;
      });
      child.on('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        if (this.stopping) {
          this.set({ state: 'stopped' });
          if (!settled) reject(new Error('The local endpoint was stopped before it was ready.'));
        } else {
          const failure = explainEndpointFailure(stderr, code, signal, port);
          this.set({ state: 'failed', ...failure });
          if (!settled) reject(new Error(`${failure.reason} ${failure.fix}`));
        }
        settled = true;
      });
    });
  }

  private onDecision(d: EndpointDecision): void {
    const run = decisionToInvocationResult(d);
    const topic = d.request.topic ?? d.request.topicFilter;
    this.decisions.push({
      id: d.id,
      at: d.at,
      kind: kindOf(d),
      connectionId: d.traceId,
      allowed: d.allowed,
      headline: headlineOf(d),
      stage: d.decidedBy,
      ...(d.request.clientId !== undefined ? { clientId: d.request.clientId } : {}),
      ...(topic !== undefined ? { topic } : {}),
      run,
    });
    this.changed();
  }

  /** Kills the child by pid and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) {
      if (this.current.state === 'failed') this.set({ state: 'stopped' });
      return;
    }
    this.stopping = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    await exited;
  }

  dispose(): void {
    const pid = this.child?.pid;
    this.stopping = true;
    if (pid !== undefined && this.child?.exitCode === null) process.kill(pid, 'SIGTERM');
  }
}

/** HTTP publishes are `publish`; MQTT decisions are named by their operation. */
function kindOf(d: EndpointDecision): DecisionKind {
  if (d.request.protocol === 'http') return 'publish';
  const kinds: Record<string, DecisionKind> = { CONNECT: 'connect', PUBLISH: 'publish', SUBSCRIBE: 'subscribe', RECEIVE: 'receive', REFRESH: 'refresh', DISCONNECT: 'disconnect' };
  return kinds[d.request.method] ?? 'publish';
}

function headlineOf(d: EndpointDecision): string {
  if (d.request.protocol === 'http') {
    return d.allowed ? `Publish to ${d.request.topic ?? '?'}: allowed` : `${d.request.method} ${d.request.path}: refused at ${d.decidedBy}: ${d.reason}`;
  }
  const what = `MQTT ${d.request.method} ${d.request.clientId ?? ''}${d.request.topic ?? d.request.topicFilter ? ` ${d.request.topic ?? d.request.topicFilter}` : ''}`;
  if (d.allowed) return `${what}: allowed`;
  return endsSession(d) ? `${what}: session ended: ${d.reason}` : `${what}: refused at ${d.decidedBy}: ${d.reason}`;
}
