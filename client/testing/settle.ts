/** How a promise ended: `settled` false when it was still pending after the bound. */
export interface Outcome {
  settled: boolean;
  /** The rejection, or undefined when it resolved (or never settled). */
  error: unknown;
  ms: number;
}

/**
 * Waits for `work` at most `ms` milliseconds, and says how it ended. The timer is cleared either
 * way, so a case that checks a hanging call leaves nothing behind.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<Outcome> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const pending = Symbol('pending');
  const bound = new Promise<typeof pending>((resolve) => (timer = setTimeout(() => resolve(pending), ms)));
  try {
    const ended = await Promise.race([
      work.then(
        () => ({ error: undefined }),
        (error: unknown) => ({ error }),
      ),
      bound,
    ]);
    if (ended === pending) {
      work.catch(() => {}); // it may still reject after the case moved on
      return { settled: false, error: undefined, ms: Date.now() - started };
    }
    return { settled: true, error: ended.error, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** The rejection of `work`, or undefined when it resolves. */
export async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => undefined,
    (error: unknown) => error,
  );
}
