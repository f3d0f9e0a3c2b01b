import { LRUCache } from 'lru-cache';
import type { FlipperLogger } from '../../shared/logger';

export interface KeyedRateLogOptions {
  /** One line per key per this many ms; the rest are counted into the next line. Default 60000. */
  windowMs?: number;
  /** Lines per window over all keys (an attacker may come from many addresses). Default 100. */
  maxLinesPerWindow?: number;
  /** Keys remembered; the least recently seen are forgotten first. Default 10000. */
  maxKeys?: number;
  now?: () => number;
}

/**
 * A warning logged once per key (a client address, an identity) per window, with how many were
 * left out since the last line, and never more than `maxLinesPerWindow` lines per window in all:
 * a peer refused a thousand times makes one line, not a thousand, and memory is bounded by
 * `maxKeys` however many addresses it comes from. Lines carry fields only, never a stack.
 */
export class KeyedRateLog {
  private readonly seen: LRUCache<string, { since: number; suppressed: number }>;
  private readonly windowMs: number;
  private readonly maxLines: number;
  private readonly now: () => number;
  private windowStart = -Infinity;
  private linesInWindow = 0;
  /** Left out because of the overall cap, reported on the next line written. */
  private suppressedOverall = 0;

  constructor(
    private readonly logger: FlipperLogger,
    private readonly message: string,
    options: KeyedRateLogOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxLines = options.maxLinesPerWindow ?? 100;
    this.now = options.now ?? Date.now;
    this.seen = new LRUCache({ max: options.maxKeys ?? 10_000 });
  }

  /** One occurrence for `key`; logged at `warn` with `fields` when the key's window allows. */
  note(key: string, fields: Record<string, unknown>): void {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.linesInWindow = 0;
    }
    const entry = this.seen.get(key);
    if (entry !== undefined && now - entry.since < this.windowMs) {
      entry.suppressed++;
      return;
    }
    if (this.linesInWindow >= this.maxLines) {
      this.suppressedOverall++;
      if (entry !== undefined) entry.suppressed++;
      return;
    }
    this.linesInWindow++;
    const earlier = entry?.suppressed ?? 0;
    this.seen.set(key, { since: now, suppressed: 0 });
    const counts: Record<string, number> = {};
    if (earlier > 0) counts.suppressed = earlier;
    if (this.suppressedOverall > 0) counts.suppressedOverall = this.suppressedOverall;
    this.suppressedOverall = 0;
    this.logger.warn({ ...fields, ...counts }, this.message);
  }
}
