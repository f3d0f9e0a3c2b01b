import { LRUCache } from 'lru-cache';
import type { ProtocolReader } from '../../shared/thrift/wire';
import type { StreamControl } from './list-reply';

/** Default bound of a reply cache, in bytes (the replies plus an estimate of what they decoded to). */
export const DEFAULT_REPLY_CACHE_BYTES = 16 * 1024 * 1024;

/** Values are typed `unknown` inside so a `ReplyCache<Item>` is still a `ReplyCache<unknown>` to callers. */
interface Entry {
  bytes: Buffer;
  value: unknown;
}

/**
 * Remembers, per key (a flag name), the bytes of the last reply and what they decoded to. A reply
 * whose bytes are exactly the same is not decoded again: decoding (generated structs, then JSON,
 * then the flag model) is most of what a `Get` costs the client, and a flag is read far more often
 * than it changes. Safe because decoded items are immutable; any change on the server changes the
 * bytes. Bounded both in keys (`maxEntries`) and in bytes (`maxBytes`, each entry counted as its
 * reply twice: the bytes and the decoded item, which is of the same order), dropping the least
 * recently used first; a reply larger than the whole bound is not kept. `lru-cache` does the
 * accounting (the cached store uses it too).
 */
export class ReplyCache<T> {
  private readonly entries: LRUCache<string, Entry>;

  constructor(maxEntries = 1024, maxBytes = DEFAULT_REPLY_CACHE_BYTES) {
    this.entries = new LRUCache<string, Entry>({
      max: maxEntries,
      maxSize: maxBytes,
      sizeCalculation: (entry) => entry.bytes.length * 2 + 64,
    });
  }

  /** Bytes the cache counts now (never above its bound). */
  get size(): number {
    return this.entries.calculatedSize;
  }

  /** The value decoded from these exact bytes before, or undefined. */
  lookup(key: string, buf: Buffer, start: number, end: number): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.bytes.length !== end - start) return undefined;
    return buf.compare(entry.bytes, 0, entry.bytes.length, start, end) === 0 ? (entry.value as T) : undefined;
  }

  /** Keeps `bytes` (owned by the cache from now on) and what they decoded to. */
  remember(key: string, bytes: Buffer, value: T): void {
    this.entries.set(key, { bytes, value });
  }
}

/** How to turn one call's reply into the caller's value, with a cache of earlier replies. */
export interface ReplyDecoder<T = unknown> {
  /** What the call asked for (a flag name): replies are compared per key (with `cache`). */
  key?: string;
  cache?: ReplyCache<T>;
  /** Builds the value from the generated struct; may throw a typed error. */
  decode(reply: unknown): T;
  /**
   * Reads the reply's result struct itself, from just after the message header, possibly over
   * several turns of the event loop (the bytes are its own); the value is final (`decode` is not
   * applied). Used by connections that own their bytes; a generated client you passed uses `decode`.
   */
  stream?(reader: ProtocolReader, control: StreamControl): Promise<T | undefined>;
}
