// Handlers that leave processes behind: `iot-authz invoke` must end near its limit and the
// whole process tree must be gone afterwards (checked by pid and by process group).
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { processGroupAlive } from '../../src/local/runtime/processTree';
import { REPO_ROOT } from './keyFixtures';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
/** Far above any limit used here: a CLI still running then has hung. */
const HANG_BOUND_MS = 25_000;
const hasPython = spawnSync('python3', ['--version']).status === 0;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls until `check` holds or `ms` pass; returns whether it held. */
async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Cli {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
}

function invoke(dir: string, extra: string[] = []): Cli {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [CLI, 'invoke', '--event', 'e.authz.json', '--json', ...extra], {
    cwd: dir, encoding: 'utf8', timeout: HANG_BOUND_MS, killSignal: 'SIGKILL', env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, ms: Date.now() - t0, stdout: r.stdout, stderr: r.stderr };
}

suite('runtime: background children of a handler', function () {
  this.timeout(HANG_BOUND_MS * 2 + 10_000);
  let dir: string;
  const pids: number[] = [];

  function project(handler: string, runtime: string, code: string): void {
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify({ authorizers: [{ name: 'A', handler, runtime, signingDisabled: true }] }));
    fs.writeFileSync(path.join(dir, 'e.authz.json'), JSON.stringify({ authorizer: 'A', protocol: 'http', credentials: { token: 't' } }));
    fs.writeFileSync(path.join(dir, handler.split(':')[0]), code);
  }

  /** Pids and pgids the handler wrote to files named pid*. */
  function childPids(): number[] {
    const found = fs.readdirSync(dir).filter((f) => f.startsWith('pid')).flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split(/\s+/).filter(Boolean).map(Number));
    pids.push(...found);
    return found;
  }

  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-hangs-'));
  });
  teardown(() => {
    for (const pid of pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ALLOW = "{'isAuthenticated': True, 'principalId': 'p', 'refreshAfterInSeconds': 300, 'disconnectAfterInSeconds': 300, 'policyDocuments': []}";

  test('Python: os.system("sleep 600 &") holding the log pipes: invoke exits at once, the sleep is gone', async function () {
    if (!hasPython) this.skip();
    project('h.py:handler', 'python3.12', [
      'import os',
      'def handler(event, context):',
      '    os.system("sleep 600 & echo $! > pid1")',
      `    return ${ALLOW}`,
    ].join('\n'));
    const r = invoke(dir);
    assert.notStrictEqual(r.code, null, `iot-authz invoke hung (killed after ${HANG_BOUND_MS} ms)`);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    const [sleeper] = childPids();
    assert.ok(sleeper > 0);
    assert.ok(await eventually(() => !isRunning(sleeper)), `background sleep ${sleeper} outlived the run`);
  });

  test('Python: a timed-out handler with a background child ends near --timeout; its process group is gone', async function () {
    if (!hasPython) this.skip();
    project('h.py:handler', 'python3.12', [
      'import os, subprocess, time',
      'def handler(event, context):',
      '    os.system("sleep 600 & echo $! > pid1")',
      '    p = subprocess.Popen(["sleep", "600"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)',
      '    open("pid2", "w").write("%d %d" % (p.pid, os.getpgid(0)))',
      '    time.sleep(600)',
    ].join('\n'));
    const r = invoke(dir, ['--timeout', '1000']);
    assert.notStrictEqual(r.code, null, 'iot-authz invoke hung');
    assert.strictEqual(r.code, 1);
    assert.strictEqual((JSON.parse(r.stdout) as { error?: { code: string } }).error?.code, 'TIMEOUT');
    assert.ok(r.ms < 1000 + 5000, `a 1000 ms limit ended after ${r.ms} ms`);
    const [sleeper, ignored, pgid] = childPids();
    assert.ok(await eventually(() => !isRunning(sleeper) && !isRunning(ignored)), 'children outlived the run');
    assert.ok(await eventually(() => !processGroupAlive(pgid)), `process group ${pgid} still has members`);
  });

  test('Node.js: a forked child sharing stdout/stderr: invoke exits, the child is gone', async () => {
    project('h.js:handler', 'nodejs20.x', [
      "const { fork, spawn } = require('child_process');",
      "const fs = require('fs');",
      'exports.handler = async () => {',
      "  const c = fork('-e', [], { execArgv: ['-e', 'setInterval(() => console.log(1), 1000)'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });",
      "  const s = spawn('sleep', ['600'], { stdio: 'ignore' });",
      "  fs.writeFileSync('pid1', `${c.pid} ${s.pid}`);",
      "  c.disconnect();",
      "  return { isAuthenticated: true, principalId: 'p', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 300, policyDocuments: [] };",
      '};',
    ].join('\n'));
    const r = invoke(dir);
    assert.notStrictEqual(r.code, null, `iot-authz invoke hung (killed after ${HANG_BOUND_MS} ms)`);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    const [forked, sleeper] = childPids();
    assert.ok(await eventually(() => !isRunning(forked) && !isRunning(sleeper)), 'children outlived the run');
  });

  test('--timeout past what a timer can hold is refused, not turned into 1 ms', () => {
    project('h.js:handler', 'nodejs20.x', "exports.handler = async () => ({ isAuthenticated: false, principalId: 'p', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 300, policyDocuments: [] });");
    const r = invoke(dir, ['--timeout', '3000000000']);
    assert.strictEqual(r.code, 2, r.stdout);
    assert.match(r.stderr, /--timeout 3000000000: at most 900000 ms/);
  });
});
