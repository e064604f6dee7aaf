// The endpoint's clock: wall time plus an offset that only grows. Lifetimes (disconnect at
// disconnectAfterInSeconds, policy refresh, the HTTP answer cache) run on it, so
// `iot-authz endpoint clock advance 6h` shows in seconds what takes hours in AWS. A timer
// fires when its due time is reached by real time or by an advance, whichever comes first.

export interface ClockTimer {
  readonly due: number;
}

interface Entry extends ClockTimer {
  due: number;
  readonly fn: () => void;
  handle?: NodeJS.Timeout;
}

/** setTimeout's largest delay. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class EndpointClock {
  private offset = 0;
  private readonly timers = new Set<Entry>();

  /** Epoch milliseconds on the endpoint's clock. */
  now(): number {
    return Date.now() + this.offset;
  }

  get offsetMs(): number {
    return this.offset;
  }

  /** Runs `fn` once `ms` have passed on this clock. */
  setTimeout(fn: () => void, ms: number): ClockTimer {
    const e: Entry = { due: this.now() + ms, fn };
    this.timers.add(e);
    this.arm(e);
    return e;
  }

  clearTimeout(t: ClockTimer | undefined): void {
    const e = t as Entry | undefined;
    if (!e || !this.timers.delete(e)) return;
    if (e.handle) clearTimeout(e.handle);
  }

  /** Moves the clock forward and fires, in due order, every timer that is now due. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('The endpoint clock only moves forward.');
    this.offset += ms;
    const now = this.now();
    for (const e of [...this.timers].sort((a, b) => a.due - b.due)) {
      if (e.due <= now) this.fire(e);
      else this.arm(e);
    }
  }

  /** Cancels every timer. */
  dispose(): void {
    for (const e of this.timers) if (e.handle) clearTimeout(e.handle);
    this.timers.clear();
  }

  private arm(e: Entry): void {
    if (e.handle) clearTimeout(e.handle);
    const delay = e.due - this.now();
    e.handle = setTimeout(() => (e.due <= this.now() ? this.fire(e) : this.arm(e)), Math.max(0, Math.min(delay, MAX_DELAY_MS)));
    e.handle.unref();
  }

  private fire(e: Entry): void {
    if (!this.timers.delete(e)) return;
    if (e.handle) clearTimeout(e.handle);
    e.fn();
  }
}
