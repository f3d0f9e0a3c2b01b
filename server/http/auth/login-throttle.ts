import { LRUCache } from 'lru-cache';

export interface LoginThrottleOptions {
  /** Wrong tokens an address may send per window; the next attempt waits for the window to end. Default 10. */
  maxFailures?: number;
  /** The window, in ms, counted from an address's first wrong token. Default 60000. */
  windowMs?: number;
  /** Addresses remembered; the least recently seen are forgotten first. Default 10000. */
  maxAddresses?: number;
  /** Milliseconds since the epoch. Injected in tests. */
  now?: () => number;
}

/**
 * Wrong logins per client address: past `maxFailures` in a window, every login from that address
 * (the right token included, so guessing cannot go on and find out) waits until the window ends
 * (the console answers 429 with `Retry-After`). A right token clears the address's count. The token's length already
 * makes guessing hopeless; this keeps a guesser from costing the server and the log much. Behind
 * a proxy every browser shares the proxy's address: the limit then holds for all of them.
 * Memory is bounded by `maxAddresses` (an LRU, keyed by the address as data).
 */
export class LoginThrottle {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly failures: LRUCache<string, { since: number; count: number }>;

  constructor(options: LoginThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.failures = new LRUCache({ max: options.maxAddresses ?? 10_000 });
  }

  /** While `address` has used up its wrong tokens: the whole seconds until its window ends; else undefined. */
  waitSeconds(address: string): number | undefined {
    const seen = this.current(address);
    if (seen === undefined || seen.count < this.maxFailures) return undefined;
    return Math.max(1, Math.ceil((seen.since + this.windowMs - this.now()) / 1000));
  }

  failed(address: string): void {
    const seen = this.current(address);
    if (seen === undefined) this.failures.set(address, { since: this.now(), count: 1 });
    else seen.count++;
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }

  /** The address's count in the window that is still running, if any. */
  private current(address: string): { since: number; count: number } | undefined {
    const seen = this.failures.get(address);
    if (seen === undefined || this.now() < seen.since + this.windowMs) return seen;
    this.failures.delete(address);
    return undefined;
  }
}
