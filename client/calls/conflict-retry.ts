import { ConflictError } from '../../shared';

/** How a conditional update retries when another writer changed the flag first. */
export interface ConflictRetryOptions {
  /** Attempts in all, the first included. Default 50. */
  attempts?: number;
  /** Longest pause between attempts, in ms; each pause is drawn at random below a doubling bound. Default 50. */
  maxDelayMs?: number;
  /** Source of randomness for the pauses, in [0, 1); for tests. Default `Math.random`. */
  random?: () => number;
}

/** What one attempt of a conditional update answers when the flag changed under it. */
export const CONFLICT = Symbol('conflict');

const FIRST_DELAY_MS = 1;

/**
 * Runs `attempt` until it answers something other than `CONFLICT`, pausing a random time (full
 * jitter under an exponentially growing bound) between attempts, so writers that keep colliding
 * spread out instead of colliding again in step. Throws `ConflictError` when the attempts are spent.
 * Errors of an attempt end the loop at once: only a conflict is retried.
 */
export async function retryOnConflict<T>(
  what: string,
  attempt: () => Promise<T | typeof CONFLICT>,
  options: ConflictRetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 50;
  const maxDelay = options.maxDelayMs ?? 50;
  const random = options.random ?? Math.random;
  let bound = FIRST_DELAY_MS;
  for (let n = 1; ; n++) {
    const result = await attempt();
    if (result !== CONFLICT) return result;
    if (n >= attempts) {
      throw new ConflictError(`${what}: the flag kept changing under ${attempts} attempts; nothing was written`);
    }
    const delay = Math.floor(random() * bound);
    bound = Math.min(bound * 2, maxDelay);
    // A zero pause still yields, so the writer that won can finish.
    await new Promise<void>((resolve) => (delay > 0 ? setTimeout(resolve, delay) : setImmediate(resolve)));
  }
}
