import * as assert from 'assert';
import { RingBuffer } from '../../src/core/ringBuffer';

suite('core/ringBuffer: the endpoint keeps recent decisions and messages in a bounded ring', () => {
  test('keeps every item, oldest first, until it is full', () => {
    const r = new RingBuffer<number>(3);
    assert.deepStrictEqual(r.toArray(), []);
    r.push(1);
    r.push(2);
    assert.deepStrictEqual(r.toArray(), [1, 2]);
    assert.strictEqual(r.length, 2);
  });

  test('drops the oldest item once full and still reads oldest first, across several wraps', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 1; i <= 10; i++) {
      r.push(i);
      const expected = Array.from({ length: Math.min(i, 3) }, (_, k) => i - Math.min(i, 3) + 1 + k);
      assert.deepStrictEqual(r.toArray(), expected, `after pushing ${i}`);
    }
    assert.strictEqual(r.length, 3);
  });

  test('reading gives a copy: changing it does not change the ring', () => {
    const r = new RingBuffer<number>(2);
    r.push(1);
    r.toArray().push(99);
    assert.deepStrictEqual(r.toArray(), [1]);
  });

  test('refuses a capacity that is not a positive integer, naming it', () => {
    assert.throws(() => new RingBuffer(0), /positive integer, got 0/);
    assert.throws(() => new RingBuffer(1.5), /positive integer, got 1.5/);
  });
});
