import { FlagDoesNotExistError, FlipperError } from '../../shared';

/** The `flipper` command's exit codes: scripts branch on them. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The command line itself is wrong (an argument that does not parse, a refused prompt): exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A flag named on the command line is not on the server: exit 3. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** The exit code for an error thrown by a command. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof NotFoundError || error instanceof FlagDoesNotExistError) return EXIT.notFound;
  return EXIT.failure;
}

/** One line for stderr: what failed, without a stack (`--debug` is for stacks). */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof FlipperError ? ` [${error.code}]` : '';
  return `flipper: ${message.replace(/\s*\n\s*/g, ' ')}${code}`;
}
