// The record of running endpoints that `iot-authz endpoint clock advance` reads without --url.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { recordRunningEndpoint, runningEndpoints } from '../../src/endpoint/running';

suite('running endpoints (clock advance without --url)', () => {
  let dir: string;
  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-running-'));
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a record is listed while its process lives, private to the user, and gone once removed', () => {
    const remove = recordRunningEndpoint('http://127.0.0.1:4566', path.join(dir, 'rt'));
    const listed = runningEndpoints(path.join(dir, 'rt'));
    assert.deepStrictEqual(listed.map((r) => [r.pid, r.url]), [[process.pid, 'http://127.0.0.1:4566']]);
    assert.strictEqual(fs.statSync(path.join(dir, 'rt')).mode & 0o777, 0o700);
    assert.strictEqual(fs.statSync(path.join(dir, 'rt', `${process.pid}.json`)).mode & 0o777, 0o600);
    remove();
    assert.deepStrictEqual(runningEndpoints(path.join(dir, 'rt')), []);
  });

  test('the record of a process that is gone (killed, crashed) is not listed, and is removed', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(gone.stdout);
    assert.ok(pid > 0);
    fs.writeFileSync(path.join(dir, `${pid}.json`), JSON.stringify({ pid, url: 'http://127.0.0.1:1', startedAt: new Date().toISOString(), cwd: '/' }));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a record');
    assert.deepStrictEqual(runningEndpoints(dir), []);
    assert.deepStrictEqual(fs.readdirSync(dir), ['notes.txt']);
  });

  test('no folder yet: nothing runs', () => {
    assert.deepStrictEqual(runningEndpoints(path.join(dir, 'missing')), []);
  });
});
