/**
 * A flag's entries in memory, oldest first. Dropping the oldest happens on almost every write once
 * a flag is at its limit: it moves a start index (O(1)), and the array is copied down only when
 * half of it is dropped; `Array.prototype.splice(0, 1)` on a thousand entries cost ~20 µs a write.
 */
export class OldestFirst<T> {
  private items: T[] = [];
  private start = 0;

  get length(): number {
    return this.items.length - this.start;
  }

  /** The entry `i` places from the oldest. */
  at(i: number): T {
    return this.items[this.start + i];
  }

  newest(): T {
    return this.items[this.items.length - 1];
  }

  push(item: T): void {
    this.items.push(item);
  }

  dropOldest(count: number): void {
    this.start += Math.min(count, this.length);
    if (this.start > 32 && this.start * 2 > this.items.length) this.keepOnly(() => true);
  }

  /** Keeps the entries `keep` says yes to, in order. */
  keepOnly(keep: (item: T) => boolean): void {
    this.items = this.items.slice(this.start).filter(keep);
    this.start = 0;
  }
}
