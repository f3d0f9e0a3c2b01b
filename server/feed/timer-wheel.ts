/** Something waiting on the wheel: `expire` runs once its time has come (unless removed first). */
export interface WheelEntry {
  /** Set by the wheel: the tick at which the entry expires. */
  tick: number;
  expire(): void;
}

/**
 * One timer for any number of deadlines: entries are kept in buckets by tick (`tickMs` wide), and a
 * single interval, running only while entries exist and never keeping the process alive, expires
 * whole buckets. Thousands of long polls cost one timer and a Set entry each, not a timer each, and
 * their deadlines are exact to within one tick (they are timeouts of waits, not schedules).
 */
export class TimerWheel {
  private readonly buckets = new Map<number, Set<WheelEntry>>();
  private timer: NodeJS.Timeout | undefined;
  private count = 0;
  private lastTick: number;

  constructor(
    private readonly tickMs = 100,
    private readonly now: () => number = Date.now,
  ) {
    this.lastTick = this.tickOf(this.now());
  }

  /** Entries waiting now. */
  get size(): number {
    return this.count;
  }

  /** Arms `entry` to expire after `ms` (rounded up to the next tick). */
  add(entry: WheelEntry, ms: number): void {
    entry.tick = this.tickOf(this.now() + ms) + 1;
    let bucket = this.buckets.get(entry.tick);
    if (bucket === undefined) this.buckets.set(entry.tick, (bucket = new Set()));
    bucket.add(entry);
    this.count++;
    if (this.timer === undefined) {
      this.lastTick = this.tickOf(this.now());
      this.timer = setInterval(() => this.advance(), this.tickMs);
      this.timer.unref();
    }
  }

  /** Disarms `entry`; true when it was armed. */
  remove(entry: WheelEntry): boolean {
    const bucket = this.buckets.get(entry.tick);
    if (bucket === undefined || !bucket.delete(entry)) return false;
    if (bucket.size === 0) this.buckets.delete(entry.tick);
    this.count--;
    if (this.count === 0) this.stop();
    return true;
  }

  /** Disarms everything without expiring it, and stops the timer. */
  clear(): WheelEntry[] {
    const all: WheelEntry[] = [];
    for (const bucket of this.buckets.values()) all.push(...bucket);
    this.buckets.clear();
    this.count = 0;
    this.stop();
    return all;
  }

  /** Expires every bucket whose tick has passed (the interval calls it; tests may too). */
  advance(): void {
    const current = this.tickOf(this.now());
    // After a long pause (or a clock jump) walk the buckets rather than every tick in between.
    const ticks =
      current - this.lastTick > this.buckets.size
        ? [...this.buckets.keys()].filter((tick) => tick <= current)
        : Array.from({ length: Math.max(0, current - this.lastTick + 1) }, (_, i) => this.lastTick + i);
    for (const tick of ticks) {
      const bucket = this.buckets.get(tick);
      if (bucket === undefined) continue;
      this.buckets.delete(tick);
      this.count -= bucket.size;
      for (const entry of bucket) entry.expire();
    }
    this.lastTick = current + 1;
    if (this.count === 0) this.stop();
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tickOf(ms: number): number {
    return Math.floor(ms / this.tickMs);
  }
}
