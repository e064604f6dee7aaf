// The endpoint clock (lifetimes on demand) and the duration syntax of `endpoint clock advance`.
import * as assert from 'assert';
import { parseDurationSeconds } from '../../src/core/duration';
import { EndpointClock } from '../../src/endpoint/clock';

suite('endpoint clock', () => {
  test('advance fires the timers now due, in due order, and leaves the others armed', () => {
    const clock = new EndpointClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('disconnect 1h'), 3600_000);
    clock.setTimeout(() => fired.push('refresh 5m'), 300_000);
    clock.setTimeout(() => fired.push('later 1d'), 86_400_000);
    const cancelled = clock.setTimeout(() => fired.push('cancelled'), 60_000);
    clock.clearTimeout(cancelled);
    const before = clock.now();
    clock.advance(2 * 3600_000);
    assert.deepStrictEqual(fired, ['refresh 5m', 'disconnect 1h']);
    assert.ok(clock.now() - before >= 2 * 3600_000);
    assert.strictEqual(clock.offsetMs, 2 * 3600_000);
    clock.advance(86_400_000);
    assert.deepStrictEqual(fired, ['refresh 5m', 'disconnect 1h', 'later 1d']);
    clock.dispose();
  });

  test('the clock only moves forward', () => {
    assert.throws(() => new EndpointClock().advance(-1), /only moves forward/);
  });

  test('durations: units, combinations and plain seconds; anything else is not a duration', () => {
    assert.strictEqual(parseDurationSeconds('6h'), 21600);
    assert.strictEqual(parseDurationSeconds('1h30m'), 5400);
    assert.strictEqual(parseDurationSeconds('90s'), 90);
    assert.strictEqual(parseDurationSeconds('1d'), 86400);
    assert.strictEqual(parseDurationSeconds('300'), 300);
    assert.strictEqual(parseDurationSeconds('soon'), undefined);
    assert.strictEqual(parseDurationSeconds('6 h'), undefined);
    assert.strictEqual(parseDurationSeconds('-5m'), undefined);
  });
});
