/**
 * Scores kept for the keys used lately, in two generations of plain `Map`s: new entries go to the
 * current one, and when it holds its share the previous one is dropped whole and the current one
 * becomes it. A key found in the previous generation moves to the current one, so whatever is in
 * use keeps surviving the swaps, and a working set within one generation is a single `Map.get` per
 * hit: no list to relink (as an LRU's `get` does) and no per-entry bookkeeping.
 *
 * Bound: each generation holds at most `ceil(max / 2)` entries and no key is in both, so at most
 * `max` entries in all (`max + 1` for an odd `max`); every key among the last `ceil(max / 2)`
 * stored or moved is kept.
 */
export class RecentScores<K> {
  private current = new Map<K, number>();
  private previous = new Map<K, number>();
  private readonly generation: number;

  constructor(max: number) {
    this.generation = Math.ceil(max / 2);
  }

  get(key: K): number | undefined {
    const score = this.current.get(key);
    if (score !== undefined) return score;
    return this.fromPrevious(key);
  }

  set(key: K, score: number): void {
    if (!this.current.has(key)) {
      this.previous.delete(key);
      if (this.current.size >= this.generation) {
        this.previous = this.current;
        this.current = new Map();
      }
    }
    this.current.set(key, score);
  }

  /** Entries held now. */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  private fromPrevious(key: K): number | undefined {
    const score = this.previous.get(key);
    if (score !== undefined) this.set(key, score);
    return score;
  }
}
