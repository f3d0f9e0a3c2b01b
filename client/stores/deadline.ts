import { InvalidArgumentError, TimeoutError } from '../../shared';

/**
 * Settles as `work` does, or rejects with `TimeoutError` after `ms`. The timer is cleared as soon as
 * `work` settles, and a late rejection of `work` is still handled, so nothing is left behind.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Throws `InvalidArgumentError` unless `ms` is a positive finite number of milliseconds. */
export function validateTimeout(ms: number, option: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new InvalidArgumentError(`${option} must be a positive number of milliseconds, got ${String(ms)}`);
  }
  return ms;
}
