// The endpoint's clock: wall time plus an offset that only grows. Lifetimes (disconnect at
// disconnectAfterInSeconds, policy refresh, the HTTP answer cache) run on it, so
// `iot-authz endpoint clock advance 6h` shows in seconds what takes hours in AWS. A timer
// fires when its due time is reached by real time or by an advance, whichever comes first.
//
// An advance replays the time it skips: a connection refreshed every 5 minutes is refreshed 72
// times by `advance 6h`, each at its own due time, and closed at disconnectAfterInSeconds after
// the refreshes due before it, as AWS would have done in those hours. Timers fire in waves: every
// timer due before (earliest due + minFollowUpMs) fires in that wave, and the wave is awaited
// before the next, because a timer's work may schedule another one (a refresh schedules the next
// refresh) no sooner than minFollowUpMs after its own due time. Timers that share a key (one
// connection's refreshes and disconnect) fire one after another in due order, each awaited, so a
// disconnect due within a wave of its connection's last refresh waits for that refresh's work;
// timers of different keys run side by side.

export interface ClockTimer {
  readonly due: number;
}

/** A timer's work: `due` is its due time on the clock (an advance may fire it later than that). */
export type ClockTimerFn = (due: number) => unknown;

interface Entry extends ClockTimer {
  due: number;
  readonly fn: ClockTimerFn;
  /** Timers with one key fire one after another within an advance (see the header). */
  readonly key: unknown;
  handle?: NodeJS.Timeout;
}

/** setTimeout's largest delay. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** A timer's work failed on real time (nobody awaits it): say so, and keep the endpoint serving. */
function report(e: unknown): void {
  process.stderr.write(`iot-authz endpoint: a lifetime timer failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
}

export class EndpointClock {
  private offset = 0;
  private readonly timers = new Set<Entry>();
  /** Advances run one after another. */
  private advancing: Promise<unknown> = Promise.resolve();
  /** While an advance replays, timers wait for it (none fires on real time out of order). */
  private replaying = false;

  /**
   * @param minFollowUpMs No timer's work schedules another timer due sooner than this after its
   *   own due time (the endpoint: MIN_REFRESH_SECONDS, the shortest refresh AWS accepts).
   */
  constructor(private readonly minFollowUpMs = 1) {
    if (!(minFollowUpMs > 0)) throw new RangeError('minFollowUpMs must be positive.');
  }

  /** Epoch milliseconds on the endpoint's clock. */
  now(): number {
    return Date.now() + this.offset;
  }

  get offsetMs(): number {
    return this.offset;
  }

  /** Runs `fn` once `ms` have passed on this clock. */
  setTimeout(fn: ClockTimerFn, ms: number): ClockTimer {
    return this.setTimeoutAt(fn, this.now() + ms);
  }

  /**
   * Runs `fn` once the clock reaches `due` (at once when it has already). Timers given the same
   * `key` (an object) fire one after another, each awaited, when an advance replays them.
   */
  setTimeoutAt(fn: ClockTimerFn, due: number, key?: unknown): ClockTimer {
    const e: Entry = { due, fn, key };
    this.timers.add(e);
    if (!this.replaying) this.arm(e);
    return e;
  }

  clearTimeout(t: ClockTimer | undefined): void {
    const e = t as Entry | undefined;
    if (!e || !this.timers.delete(e)) return;
    if (e.handle) clearTimeout(e.handle);
  }

  /**
   * Moves the clock forward by `ms` and fires, in due order, every timer due by then, including
   * those the fired ones schedule within the skipped time. Resolves with how many fired, once
   * their work (a refresh's handler invocation) is done.
   */
  advance(ms: number): Promise<number> {
    if (!(ms >= 0)) throw new RangeError('The endpoint clock only moves forward.');
    const run = this.advancing.then(() => this.replay(ms));
    this.advancing = run.catch(() => undefined);
    return run;
  }

  /** Cancels every timer. */
  dispose(): void {
    for (const e of this.timers) if (e.handle) clearTimeout(e.handle);
    this.timers.clear();
  }

  private async replay(ms: number): Promise<number> {
    const targetOffset = this.offset + ms;
    let fired = 0;
    this.replaying = true;
    for (const e of this.timers) if (e.handle) clearTimeout(e.handle);
    try {
      fired = await this.waves(targetOffset);
    } finally {
      this.replaying = false;
      this.offset = Math.max(this.offset, targetOffset);
      for (const e of this.timers) this.arm(e);
    }
    return fired;
  }

  private async waves(targetOffset: number): Promise<number> {
    let fired = 0;
    for (;;) {
      const target = Date.now() + targetOffset;
      const due = [...this.timers].filter((e) => e.due <= target).sort((a, b) => a.due - b.due);
      if (due.length === 0) break;
      const horizon = due[0].due + this.minFollowUpMs;
      const wave = due.filter((e) => e.due < horizon);
      // The clock shows the wave's time while it runs, so what it logs carries that time.
      this.offset = Math.min(targetOffset, Math.max(this.offset, wave[wave.length - 1].due - Date.now()));
      const chains = new Map<unknown, Entry[]>();
      for (const e of wave) {
        const k = e.key ?? e;
        const chain = chains.get(k);
        if (chain) chain.push(e);
        else chains.set(k, [e]);
      }
      const counts = await Promise.all([...chains.values()].map(async (chain) => {
        let n = 0;
        for (const e of chain) {
          try {
            if (await this.fire(e)) n++;
          } catch (err) {
            n++;
            report(err);
          }
        }
        return n;
      }));
      fired += counts.reduce((a, b) => a + b, 0);
    }
    return fired;
  }

  private arm(e: Entry): void {
    if (e.handle) clearTimeout(e.handle);
    const delay = e.due - this.now();
    e.handle = setTimeout(() => (e.due <= this.now() ? void this.fire(e).catch(report) : this.arm(e)), Math.max(0, Math.min(delay, MAX_DELAY_MS)));
    e.handle.unref();
  }

  /** Runs the timer's work unless it was cancelled; true when it ran. */
  private async fire(e: Entry): Promise<boolean> {
    if (!this.timers.delete(e)) return false;
    if (e.handle) clearTimeout(e.handle);
    await e.fn(e.due);
    return true;
  }
}
