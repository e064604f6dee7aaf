// Running endpoints, so `iot-authz endpoint clock advance 6h` finds the endpoint without --url:
// each `iot-authz endpoint` process (the CLI's, and the one VS Code starts) writes one small file
// while it serves, named by its pid, and removes it when it stops. A file whose process is gone
// (killed, crashed) is ignored and removed by the next reader.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface RunningEndpointRecord {
  readonly pid: number;
  /** The HTTP URL (control plane, HTTP publish, the endpoint's own API). */
  readonly url: string;
  readonly startedAt: string;
  readonly cwd: string;
}

/** Where the records live: per user, in the temporary folder (`IOT_AUTHZ_RUNTIME_DIR` moves it, for tests). */
export function runningEndpointsDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return process.env.IOT_AUTHZ_RUNTIME_DIR ?? path.join(os.tmpdir(), `iot-authz-endpoints-${uid}`);
}

/** Records this process's endpoint; returns the function that removes the record. */
export function recordRunningEndpoint(url: string, dir = runningEndpointsDir()): () => void {
  const file = path.join(dir, `${process.pid}.json`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const record: RunningEndpointRecord = { pid: process.pid, url, startedAt: new Date().toISOString(), cwd: process.cwd() };
    fs.writeFileSync(file, JSON.stringify(record) + '\n', { mode: 0o600 });
  } catch {
    return () => undefined; // Finding the endpoint without --url is a convenience; serving is what matters.
  }
  return () => fs.rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The endpoints running now, oldest first; records of processes that are gone are removed. */
export function runningEndpoints(dir = runningEndpointsDir()): RunningEndpointRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: RunningEndpointRecord[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const r = JSON.parse(fs.readFileSync(file, 'utf8')) as RunningEndpointRecord;
      if (typeof r.pid === 'number' && typeof r.url === 'string' && alive(r.pid)) out.push(r);
      else fs.rmSync(file, { force: true });
    } catch {
      // Being written or removed right now: skip it.
    }
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
