// The endpoint clock (lifetimes on demand) and the duration syntax of `endpoint clock advance`.
import * as assert from 'assert';
import { parseDurationSeconds } from '../../src/core/duration';
import { EndpointClock } from '../../src/endpoint/clock';

suite('endpoint clock', () => {
  test('advance fires the timers now due, in due order, and leaves the others armed', async () => {
    const clock = new EndpointClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('disconnect 1h'), 3600_000);
    clock.setTimeout(() => fired.push('refresh 5m'), 300_000);
    clock.setTimeout(() => fired.push('later 1d'), 86_400_000);
    const cancelled = clock.setTimeout(() => fired.push('cancelled'), 60_000);
    clock.clearTimeout(cancelled);
    const before = clock.now();
    assert.strictEqual(await clock.advance(2 * 3600_000), 2);
    assert.deepStrictEqual(fired, ['refresh 5m', 'disconnect 1h']);
    assert.ok(clock.now() - before >= 2 * 3600_000);
    assert.strictEqual(clock.offsetMs, 2 * 3600_000);
    await clock.advance(86_400_000);
    assert.deepStrictEqual(fired, ['refresh 5m', 'disconnect 1h', 'later 1d']);
    clock.dispose();
  });

  test('an advance replays the skipped time: a refresh every 5 min that schedules the next one runs 11 times before the 1 h disconnect, each awaited', async () => {
    const clock = new EndpointClock(300_000);
    const start = clock.now();
    // One connection's timers, due from one instant as the endpoint times them from connectedAt
    // (two setTimeout calls could straddle a millisecond on a busy machine and put the 60 min
    // refresh a millisecond before the disconnect).
    const connection = {};
    const events: string[] = [];
    let inFlight = 0;
    let open = true;
    const refresh = async (due: number): Promise<void> => {
      if (!open) return;
      inFlight++;
      await new Promise((r) => setImmediate(r)); // the handler's invocation
      inFlight--;
      events.push(`refresh +${Math.round((due - start) / 60_000)}m`);
      clock.setTimeoutAt(refresh, due + 300_000, connection);
    };
    clock.setTimeoutAt(refresh, start + 300_000, connection);
    clock.setTimeoutAt(() => {
      open = false;
      events.push('disconnect +60m');
    }, start + 3600_000, connection);
    const fired = await clock.advance(6 * 3600_000);
    assert.strictEqual(inFlight, 0, 'the advance resolved before the refreshes it fired were done');
    assert.deepStrictEqual(events, [...Array.from({ length: 11 }, (_, i) => `refresh +${(i + 1) * 5}m`), 'disconnect +60m']);
    // 11 refreshes, the disconnect, and the refresh due at 60 min that found the connection closed.
    assert.strictEqual(fired, 13);
    assert.ok(clock.offsetMs >= 6 * 3600_000);
    clock.dispose();
  });

  test('a connection\'s disconnect due within its last refresh\'s wave waits for that refresh (timers of one key in order); other keys run side by side', async () => {
    // refresh 500 s, disconnect 3600 s: the 7th refresh (3500 s) and the disconnect share a wave.
    const clock = new EndpointClock(300_000);
    const start = clock.now();
    const connection = {};
    const events: string[] = [];
    let open = true;
    const refresh = async (due: number): Promise<void> => {
      if (!open || due >= start + 3600_000) return;
      await new Promise((r) => setTimeout(r, 5)); // the handler takes real time
      if (!open) return; // closed while the handler ran: the refresh is lost
      events.push(`refresh +${(due - start) / 1000}s`);
      clock.setTimeoutAt(refresh, due + 500_000, connection);
    };
    clock.setTimeoutAt(() => {
      open = false;
      events.push('disconnect +3600s');
    }, start + 3600_000, connection);
    clock.setTimeoutAt(refresh, start + 500_000, connection);
    // Another connection's timer in the same waves, unkeyed: it neither waits nor blocks.
    const other: string[] = [];
    clock.setTimeoutAt(async () => {
      await new Promise((r) => setTimeout(r, 1));
      other.push('other');
    }, start + 3450_000);
    await clock.advance(2 * 3600_000);
    assert.deepStrictEqual(events, [...Array.from({ length: 7 }, (_, i) => `refresh +${(i + 1) * 500}s`), 'disconnect +3600s']);
    assert.deepStrictEqual(other, ['other']);
    clock.dispose();
  });

  test('advances run one after another; timers due beyond an advance stay armed', async () => {
    const clock = new EndpointClock(300_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('1h'), 3600_000);
    clock.setTimeout(() => fired.push('3h'), 3 * 3600_000);
    await Promise.all([clock.advance(2 * 3600_000), clock.advance(2 * 3600_000)]);
    assert.deepStrictEqual(fired, ['1h', '3h']);
    assert.strictEqual(clock.offsetMs, 4 * 3600_000);
    clock.dispose();
  });

  test('a timer whose work fails is reported on stderr; the advance still fires the others and resolves', async () => {
    const clock = new EndpointClock(300_000);
    const fired: string[] = [];
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 60_000);
    clock.setTimeout(async () => {
      await Promise.resolve();
      throw new Error('async boom');
    }, 120_000);
    clock.setTimeout(() => fired.push('after'), 600_000);
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      assert.strictEqual(await clock.advance(3600_000), 3);
    } finally {
      process.stderr.write = write;
    }
    assert.deepStrictEqual(fired, ['after']);
    assert.ok(written.some((w) => w.includes('a lifetime timer failed: Error: boom')), written.join(''));
    assert.ok(written.some((w) => w.includes('async boom')), written.join(''));
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
