// core/runHistory.ts: the stored history is versioned and read back with suspicion; and
// core/decisions.ts: the endpoint's decision stream, kept apart from the run history.
import * as assert from 'assert';
import { DecisionStream, EndpointDecision } from '../../src/core/decisions';
import { readRunHistory, RUN_HISTORY_VERSION, storedRunHistory } from '../../src/core/runHistory';
import { EXAMPLE_REQUESTS, fixtureRun } from './runFixtures';

suite('run history: versioned, read back with suspicion', () => {
  test('the current shape reads back as stored', async () => {
    const runs = [await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect }), await fixtureRun({ request: EXAMPLE_REQUESTS.httpUnsigned })];
    const stored = JSON.parse(JSON.stringify(storedRunHistory(runs)));
    assert.strictEqual(stored.version, RUN_HISTORY_VERSION);
    assert.deepStrictEqual(readRunHistory(stored), { runs, dropped: 0, migrated: false });
  });

  test('version 1 (a bare array, runs without a target) migrates: local target added, broken runs dropped', async () => {
    const run = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect });
    const { target: _t, ...v1 } = run;
    const broken = [{ ...run, id: 'no-outcome', outcome: 'exploded' }, { id: 'half' }, null, 'text', { ...run, id: 'x', timings: {} }];
    const read = readRunHistory(undefined, [v1, ...broken]);
    assert.deepStrictEqual(read.runs, [run]);
    assert.strictEqual(read.dropped, broken.length);
    assert.strictEqual(read.migrated, true);
  });

  test('runs that no longer parse in the current shape are dropped; a duplicate id keeps the newest', async () => {
    const a = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect });
    const read = readRunHistory({ version: RUN_HISTORY_VERSION, runs: [a, { ...a, headline: 'older copy' }, { ...a, id: 'b', target: { kind: 'aws' } }] });
    assert.deepStrictEqual(read.runs, [a]);
    assert.deepStrictEqual([read.dropped, read.migrated], [2, true]);
  });

  test('an unknown version (a newer extension) or garbage reads as empty and is not rewritten', () => {
    assert.deepStrictEqual(readRunHistory({ version: RUN_HISTORY_VERSION + 1, runs: [{ anything: true }] }), { runs: [], dropped: 0, migrated: false });
    assert.deepStrictEqual(readRunHistory(42), { runs: [], dropped: 0, migrated: false });
    assert.deepStrictEqual(readRunHistory(undefined, undefined), { runs: [], dropped: 0, migrated: false });
  });
});

suite('decision stream: the local endpoint decisions', () => {
  const decision = (id: string, connectionId: string, extra: Partial<EndpointDecision> = {}): EndpointDecision => ({
    id, at: '2026-01-01T00:00:00.000Z', kind: 'publish', connectionId, allowed: true, headline: `decision ${id}`, ...extra,
  });

  test('listeners hear each decision in order; a disposed one hears no more; memory is bounded, newest first', () => {
    const stream = new DecisionStream(3);
    const heard: string[] = [];
    const sub = stream.onDecision((d) => heard.push(d.id));
    stream.push(decision('1', 'c1'));
    stream.push(decision('2', 'c2'));
    sub.dispose();
    stream.push(decision('3', 'c1'));
    stream.push(decision('4', 'c1'));
    assert.deepStrictEqual(heard, ['1', '2']);
    assert.deepStrictEqual(stream.recent().map((d) => d.id), ['4', '3', '2']);
    assert.deepStrictEqual(stream.ofConnection('c1').map((d) => d.id), ['4', '3']);
  });

  test('a connection decision opens as a run: its run is found by the run id', async () => {
    const run = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect });
    const stream = new DecisionStream();
    stream.push(decision('d1', 'c1', { kind: 'connect', run: { ...run, target: { kind: 'endpoint', url: 'mqtts://127.0.0.1:8883' } } }));
    assert.strictEqual(stream.runById(run.id)?.target.kind, 'endpoint');
    assert.strictEqual(stream.runById('other'), undefined);
  });

  test('a throwing listener does not keep the others from hearing the decision', () => {
    const stream = new DecisionStream();
    const heard: string[] = [];
    stream.onDecision(() => {
      throw new Error('listener bug');
    });
    stream.onDecision((d) => heard.push(d.id));
    assert.throws(() => stream.push(decision('1', 'c1')), /listener bug/);
    assert.deepStrictEqual(heard, ['1']);
  });
});
