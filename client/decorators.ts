import type { FeatureFlagClient } from './client';

export interface IsEnabledDecoratorOptions<RR> {
  /** Called with the same arguments (and `this`) instead of the function while the flag is off. */
  redirect?: (...args: never[]) => RR | Promise<RR>;
  /** Used when the flag is missing, malformed or unreachable. Default false. */
  default?: boolean;
}

/**
 * Wraps a function so that it runs only while the flag is on; otherwise `redirect` runs, or the
 * call resolves to undefined. The wrapped function is async. Works on plain functions, Express or
 * Fastify handlers, and as a TypeScript method decorator (`this` is kept).
 */
export function isEnabled<RR = undefined>(
  client: FeatureFlagClient,
  featureName: string,
  options: IsEnabledDecoratorOptions<RR> = {},
) {
  const evaluation = { default: options.default };
  return function wrap<A extends unknown[], R>(
    fn: (...args: A) => R | Promise<R>,
  ): (...args: A) => Promise<Awaited<R> | Awaited<RR> | undefined> {
    const redirect = options.redirect as ((...args: A) => RR | Promise<RR>) | undefined;
    return async function flagged(this: unknown, ...args: A): Promise<Awaited<R> | Awaited<RR> | undefined> {
      if (await client.isEnabled(featureName, undefined, evaluation)) return (await fn.apply(this, args)) as Awaited<R>;
      if (redirect) return (await redirect.apply(this, args)) as Awaited<RR>;
      return undefined;
    };
  };
}
