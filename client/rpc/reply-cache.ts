/**
 * Remembers, per key (a flag name), the bytes of the last reply and what they decoded to. A reply
 * whose bytes are exactly the same is not decoded again: decoding (generated structs, then JSON,
 * then the flag model) is most of what a `Get` costs the client, and a flag is read far more often
 * than it changes. Safe because decoded items are immutable; any change on the server changes the
 * bytes. Holds at most `maxEntries` keys, dropping the oldest first.
 */
export class ReplyCache<T> {
  private readonly entries = new Map<string, { bytes: Buffer; value: T }>();

  constructor(private readonly maxEntries = 1024) {}

  /** The value decoded from these exact bytes before, or undefined. */
  lookup(key: string, buf: Buffer, start: number, end: number): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.bytes.length !== end - start) return undefined;
    return buf.compare(entry.bytes, 0, entry.bytes.length, start, end) === 0 ? entry.value : undefined;
  }

  /** Keeps `bytes` (owned by the cache from now on) and what they decoded to. */
  remember(key: string, bytes: Buffer, value: T): void {
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, { bytes, value });
  }
}

/** How to turn one call's reply into the caller's value, with a cache of earlier replies. */
export interface ReplyDecoder<T = unknown> {
  /** What the call asked for (a flag name): replies are compared per key. */
  key: string;
  cache: ReplyCache<T>;
  /** Builds the value from the generated struct; may throw a typed error. */
  decode(reply: unknown): T;
}
