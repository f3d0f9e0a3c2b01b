import { StoreError } from '../../../shared';

/**
 * Loads an optional peer (a driver the package does not install: better-sqlite3, pg, the AWS SDK)
 * when the store that needs it is made. Missing, it is one line naming what to install, not a
 * `Cannot find module` stack from deep inside the package.
 */
export function requireOptionalPeer<T>(name: string, neededBy: string, install = name): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, never at import
    return require(name) as T;
  } catch (error) {
    if (!isMissing(error, name)) throw error;
    throw new StoreError(`${neededBy} needs the ${name} package, which is not installed: npm install ${install}`, {
      cause: error,
    });
  }
}

/** True when `error` says `name` itself (not one of its own dependencies) cannot be found. */
function isMissing(error: unknown, name: string): boolean {
  const err = error as { code?: unknown; message?: unknown } | undefined;
  return (
    err?.code === 'MODULE_NOT_FOUND' &&
    typeof err.message === 'string' &&
    err.message.startsWith(`Cannot find module '${name}'`)
  );
}
