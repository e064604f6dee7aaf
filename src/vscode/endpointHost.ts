// Runs the local IoT endpoint in a child process (`node dist/cli.js endpoint --json --port 0
// --workspace DIR`) so it never blocks the extension host. It reads the child's stdout: one
// JSON object per line ("listening", "workspace", "decision", "stopped"). Each decision becomes
// an InvocationResult (target endpoint) pushed to the DecisionStream, so the results panel opens
// it as a run. Stop and dispose kill the child by its pid.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import type { DecisionKind, DecisionStream } from '../core/decisions';
import { decisionToInvocationResult } from '../endpoint/decisionResult';
import type { EndpointDecision } from '../endpoint/decisions';

export interface EndpointRunning {
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  readonly authorizers: readonly string[];
}

type Line =
  | { event: 'listening'; url: string; port: number; protocol?: string }
  | { event: 'workspace'; authorizers: ReadonlyArray<{ name: string }> }
  | { event: 'decision'; decision: EndpointDecision }
  | { event: 'stopped' };

export class EndpointHost {
  private child: ChildProcess | undefined;
  private state: EndpointRunning | undefined;

  constructor(
    /** dist/cli.js of this extension. */
    private readonly cliFile: string,
    private readonly decisions: DecisionStream,
    private readonly changed: () => void,
  ) {}

  get running(): EndpointRunning | undefined {
    return this.state;
  }

  /** Starts the endpoint for `workspace` and resolves once it listens and registered the workspace. */
  start(workspace: string): Promise<EndpointRunning> {
    if (this.state) return Promise.resolve(this.state);
    const child = spawn(process.execPath, [this.cliFile, 'endpoint', '--json', '--port', '0', '--workspace', workspace], {
      cwd: path.dirname(workspace),
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    return new Promise((resolve, reject) => {
      let buffered = '';
      let listening: { url: string; port: number } | undefined;
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
          if (line.event === 'listening' && !listening) listening = { url: line.url, port: line.port };
          else if (line.event === 'workspace' && listening && child.pid !== undefined) {
            this.state = { pid: child.pid, ...listening, authorizers: line.authorizers.map((a) => a.name) };
            this.changed();
            resolve(this.state);
          } else if (line.event === 'decision') this.onDecision(line.decision);
        }
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        const wasRunning = this.state !== undefined;
        this.state = undefined;
        this.child = undefined;
        if (wasRunning) this.changed();
        else reject(new Error(`The local endpoint exited (code ${code ?? '?'}) before it listened: ${stderr.trim()}`));
      });
    });
  }

  private onDecision(d: EndpointDecision): void {
    const run = decisionToInvocationResult(d);
    this.decisions.push({
      id: d.id,
      at: d.at,
      kind: kindOf(d),
      connectionId: d.traceId,
      allowed: d.allowed,
      headline: headlineOf(d),
      run,
    });
    this.changed();
  }

  /** Kills the child by pid and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    await exited;
  }

  dispose(): void {
    const pid = this.child?.pid;
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
  return d.allowed ? `${what}: allowed` : `${what}: refused at ${d.decidedBy}: ${d.reason}`;
}
