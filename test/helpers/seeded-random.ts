/** A small seeded generator (mulberry32): the same seed gives the same cases on every machine. */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A bigint of up to `digits` decimal digits, either sign. */
  bigint(digits: number): bigint {
    let text = String(1 + this.int(9));
    const n = this.int(digits);
    for (let i = 0; i < n; i++) text += String(this.int(10));
    return this.int(2) === 0 ? BigInt(text) : -BigInt(text);
  }
}
