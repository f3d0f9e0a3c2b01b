/** Returns the current time in Unix seconds. Injected in tests. */
export type Clock = () => number;

/** Returns a number in [0, 1). Injected in tests. */
export type Random = () => number;

export const systemClock: Clock = () => Date.now() / 1000;

export const systemRandom: Random = Math.random;
