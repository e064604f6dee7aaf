// Shared by the local endpoint's end-to-end tests: real processes and real clients on loopback.
// The endpoint runs as `node dist/cli.js endpoint` (built first when missing), keys are made and
// tokens signed with the openssl CLI, function packages are real zip files, and requests go
// through curl and the AWS CLI v2 (Debian's awscli, installed by scripts/test-env.sh).
import { ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { zipSync, strToU8 } from 'fflate';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
/** Debian's AWS CLI v2; a pyenv `aws` shim earlier on PATH may be v1. */
export const AWS_CLI = fs.existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export function ensureBuilt(): void {
  if (!fs.existsSync(CLI) || !fs.existsSync(path.join(REPO_ROOT, 'dist/runtime/nodeWorker.js'))) {
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'esbuild.js')], { cwd: REPO_ROOT, stdio: 'ignore' });
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `iot-authz-e2e-${prefix}-`));
}

/** An RSA key pair made with openssl, as a user does. */
export function opensslKeyPair(dir: string): { privateKey: string; publicKey: string; publicPem: string } {
  const privateKey = path.join(dir, 'private_key.pem');
  const publicKey = path.join(dir, 'public_key.pem');
  execFileSync('openssl', ['genrsa', '-out', privateKey, '2048'], { stdio: 'ignore' });
  execFileSync('openssl', ['rsa', '-in', privateKey, '-pubout', '-out', publicKey], { stdio: 'ignore' });
  return { privateKey, publicKey, publicPem: fs.readFileSync(publicKey, 'utf8') };
}

/** `echo -n TOKEN | openssl dgst -sha256 -sign key | base64 -w0`. */
export function opensslSign(token: string, privateKey: string): string {
  return execFileSync('openssl', ['dgst', '-sha256', '-sign', privateKey], { input: token }).toString('base64');
}

/**
 * The test authorizer (Node.js): counts its invocations in $COUNT_FILE and answers by token:
 * `allow` → devices/dev1/* publish; `deny`; `invalid` (a principal AWS rejects); `slow`
 * (sleeps past any limit); `throw`.
 */
export const NODE_HANDLER = `const fs = require('fs');
exports.handler = async (event) => {
  if (process.env.COUNT_FILE) fs.appendFileSync(process.env.COUNT_FILE, 'x\\n');
  const t = event.token || '';
  if (t === 'slow') await new Promise((r) => setTimeout(r, 20000));
  if (t === 'throw') throw new TypeError('boom');
  if (t === 'invalid') return { isAuthenticated: true, principalId: 'not-valid!', policyDocuments: [] };
  if (t === 'deny') return { isAuthenticated: false, principalId: 'dev1', policyDocuments: [] };
  return { isAuthenticated: true, principalId: 'dev1', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 3600,
    policyDocuments: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish',
      Resource: 'arn:aws:iot:' + process.env.AWS_REGION + ':' + process.env.AWS_ACCOUNT_ID + ':topic/devices/dev1/*' }] }] };
};
`;

export const PYTHON_HANDLER = `def lambda_handler(event, context):
    ok = event.get("token") == "allow"
    return {"isAuthenticated": ok, "principalId": "py1", "policyDocuments": [
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:Publish", "Resource": "*"}]}]}
`;

export function zipOf(files: Record<string, string>): Buffer {
  return Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))));
}

export function countLines(file: string): number {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length : 0;
}

export interface RunningEndpoint {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: string[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

/** Starts `iot-authz endpoint --json ARGS` and resolves with its URL once it prints the ready line. */
export function startEndpointProcess(args: string[], timeoutMs = 15000, env: NodeJS.ProcessEnv = {}): Promise<RunningEndpoint> {
  const child = spawn(process.execPath, [CLI, 'endpoint', '--json', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const lines: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`endpoint not ready in ${timeoutMs} ms: ${stderr.join('')}`)), timeoutMs);
    let buffer = '';
    child.stdout?.on('data', (c: Buffer) => {
      buffer += c.toString('utf8');
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        lines.push(line);
        const o = JSON.parse(line) as { event: string; url?: string; protocol?: string };
        if (o.event === 'listening' && o.protocol === 'http' && o.url) {
          clearTimeout(timer);
          resolve({ child, url: o.url, lines, stderr, exited });
        }
      }
    });
    child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`endpoint exited (${code}) before it was ready: ${stderr.join('')}`));
    });
  });
}

/** Stops by pid with SIGTERM and waits for the exit code. */
export async function stopEndpointProcess(e: RunningEndpoint | undefined): Promise<number | null> {
  if (!e) return null;
  if (e.child.exitCode === null && e.child.signalCode === null) e.child.kill('SIGTERM');
  return e.exited;
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The unchanged AWS CLI against the endpoint, with throwaway credentials. */
export function aws(url: string, args: string[], cwd?: string): Run {
  const r = spawnSync(AWS_CLI, ['--endpoint-url', url, '--region', REGION, '--output', 'json', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST', AWS_SECRET_ACCESS_KEY: 'local-secret', AWS_PAGER: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** curl; prints the status on the last line. */
export function curl(args: string[]): { status: number; body: string } {
  const r = spawnSync('curl', ['-sS', '--max-time', '30', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' });
  const out = r.stdout;
  const i = out.lastIndexOf('\n');
  return { status: Number(out.slice(i + 1)), body: out.slice(0, i) };
}

/** The built `iot-authz` CLI in `cwd`, with throwaway AWS credentials and no shared AWS config. */
export function iotAuthz(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd,
        env: {
          ...process.env,
          NO_COLOR: '1',
          AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
          AWS_SECRET_ACCESS_KEY: 'local-secret',
          AWS_PROFILE: '',
          AWS_CONFIG_FILE: path.join(cwd, 'no-config'),
          AWS_SHARED_CREDENTIALS_FILE: path.join(cwd, 'no-credentials'),
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Resolves with the first JSON line of the endpoint's stdout, from line `from` on, that `match` accepts. */
export function waitForLine<T>(e: RunningEndpoint, match: (o: Record<string, unknown>) => T | undefined, from = 0, timeoutMs = 30000): Promise<T> {
  return new Promise((resolve, reject) => {
    let seen = from;
    const check = (): boolean => {
      for (; seen < e.lines.length; seen++) {
        const found = match(JSON.parse(e.lines[seen]) as Record<string, unknown>);
        if (found !== undefined) {
          resolve(found);
          return true;
        }
      }
      return false;
    };
    if (check()) return;
    const timer = setTimeout(() => {
      e.child.stdout?.off('data', onData);
      reject(new Error(`no matching endpoint line in ${timeoutMs} ms; last lines: ${e.lines.slice(-5).join('\n')}`));
    }, timeoutMs);
    // The fixture's own 'data' listener (registered first) has pushed the line when this runs.
    const onData = () => {
      if (check()) {
        clearTimeout(timer);
        e.child.stdout?.off('data', onData);
      }
    };
    e.child.stdout?.on('data', onData);
  });
}

/**
 * Copies the example workspace into `dir`, gives its first authorizer a role in `account`, and
 * makes the key "example" with the CLI (the checkout's example key, made by npm test / npm start, is not the test's).
 */
export async function exampleWorkspaceToDeploy(dir: string, account: string): Promise<void> {
  fs.cpSync(path.join(REPO_ROOT, 'examples', 'workspace'), dir, { recursive: true });
  fs.rmSync(path.join(dir, '.iot-authz'), { recursive: true, force: true });
  const projectFile = path.join(dir, 'iot-authorizer.json');
  const project = JSON.parse(fs.readFileSync(projectFile, 'utf8')) as { authorizers: Array<Record<string, unknown>> };
  project.authorizers[0].aws = { roleArn: `arn:aws:iam::${account}:role/iot-authz-e2e` };
  fs.writeFileSync(projectFile, JSON.stringify(project, null, 2));
  const keygen = await iotAuthz(['keygen', '--out', path.join(dir, '.iot-authz', 'keys', 'example')], dir);
  if (keygen.code !== 0) throw new Error(`iot-authz keygen failed (exit ${keygen.code}): ${keygen.stderr}`);
}
