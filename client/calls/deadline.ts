import { InvalidArgumentError, TimeoutError } from '../../shared';

/**
 * The one deadline of the library: every backend call, RPC call and connection attempt arms one
 * through `startDeadline`, so the expiry message and the rule "the timer goes when the call
 * settles" are written once.
 *
 * Arms a timer that, after `ms`, hands `expired` a `TimeoutError` saying "`what` did not finish
 * within `ms` ms" (`what` may be a function, so a hot path builds the words only on expiry).
 * The caller clears the returned timer when the call settles first.
 */
export function startDeadline(
  ms: number,
  what: string | (() => string),
  expired: (error: TimeoutError) => void,
): NodeJS.Timeout {
  return setTimeout(() => {
    const name = typeof what === 'string' ? what : what();
    expired(new TimeoutError(`${name} did not finish within ${ms} ms`));
  }, ms);
}

/**
 * Settles as `work` does, or rejects with `TimeoutError` after `ms`. The timer is cleared as soon as
 * `work` settles, and a late rejection of `work` is still handled, so nothing is left behind.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return settleWithin(ms, what, () => work);
}

/**
 * `withDeadline` for work that can be told to stop: `start` receives a signal that is aborted when
 * the deadline passes (drivers such as the AWS SDK then drop the request), and the call rejects
 * with the `TimeoutError` whatever the work does next.
 */
export function withAbortableDeadline<T>(
  ms: number,
  what: string | (() => string),
  start: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  return settleWithin(
    ms,
    what,
    () => start(controller.signal),
    (error) => controller.abort(error),
  );
}

/** The work's outcome, or the `TimeoutError` (after which `expired` runs) if the deadline comes first. */
function settleWithin<T>(
  ms: number,
  what: string | (() => string),
  work: () => Promise<T>,
  expired?: (error: TimeoutError) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = startDeadline(ms, what, (error) => {
      reject(error);
      expired?.(error);
    });
    Promise.resolve()
      .then(work)
      .then(
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
