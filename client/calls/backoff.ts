import { InvalidArgumentError } from '../../shared';

export interface BackoffOptions {
  /** Delay after the first failure, in ms. Default 100. */
  initialDelayMs?: number;
  /** Largest delay, in ms. Default 5000. */
  maxDelayMs?: number;
  /** A number in [0, 1); tests inject a seeded one. Default `Math.random`. */
  random?: () => number;
}

/**
 * Capped, jittered exponential backoff between reconnection attempts: after the n-th failure in a
 * row the next attempt waits between half and all of `min(max, initial * 2^(n-1))`, so a fleet of
 * clients losing one server neither storms it nor reconnects in lockstep. Written once for every
 * connection that retries (the reliability notes' "no reconnect storms").
 */
export class Backoff {
  private failures = 0;
  private notBefore = 0;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialDelayMs = nonNegative(options.initialDelayMs ?? 100, 'initialDelayMs');
    this.maxDelayMs = nonNegative(options.maxDelayMs ?? 5000, 'maxDelayMs');
    this.random = options.random ?? Math.random;
  }

  /** Ms to wait before the next attempt may start; 0 when it may start now. */
  waitMs(now = Date.now()): number {
    return Math.max(0, this.notBefore - now);
  }

  /** Failures in a row so far. */
  get failuresInARow(): number {
    return this.failures;
  }

  /** One failed attempt: the next one waits longer. Returns the delay chosen. */
  failed(now = Date.now()): number {
    this.failures++;
    const ceiling = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(this.failures - 1, 30));
    const delay = ceiling / 2 + (this.random() * ceiling) / 2;
    this.notBefore = now + delay;
    return delay;
  }

  /** The connection works again: the next failure starts from the initial delay. */
  succeeded(): void {
    this.failures = 0;
    this.notBefore = 0;
  }
}

function nonNegative(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a number of ms, 0 or more, got ${String(value)}`);
  }
  return value;
}
