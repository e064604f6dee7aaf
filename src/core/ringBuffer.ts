// A bounded list that keeps the newest `capacity` items: adding is O(1) (no Array.shift), and
// reading gives them oldest first. The endpoint's recent decisions and messages live in one.

export class RingBuffer<T> {
  private readonly items: T[] = [];
  /** Where the oldest item is once the buffer is full. */
  private start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`RingBuffer capacity must be a positive integer, got ${capacity}.`);
  }

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** All items, oldest first. */
  toArray(): T[] {
    return this.start === 0 ? this.items.slice() : this.items.slice(this.start).concat(this.items.slice(0, this.start));
  }
}
