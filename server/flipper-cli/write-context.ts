import { userInfo } from 'node:os';
import type { FeatureFlagClient } from '../../client/client';
import { UsageError } from './errors';

/**
 * Who makes a change and why (`--actor`, `--reason`). The one place where a write's context is
 * attached: today the flag server's API carries neither, so they are validated and kept here;
 * when the server records history (issue #14) this is where they are passed with each write.
 */
export interface WriteContext {
  actor: string;
  reason?: string;
}

const MAX_TEXT = 1024;

/** The context of this invocation's writes: `--actor` (default `$FLIPPER_ACTOR`, then the OS user) and `--reason`. */
export function writeContext(options: { actor?: string; reason?: string }, env: NodeJS.ProcessEnv): WriteContext {
  const actor = options.actor ?? env.FLIPPER_ACTOR ?? osUser();
  for (const [name, value] of [
    ['--actor', actor],
    ['--reason', options.reason],
  ] as const) {
    // eslint-disable-next-line no-control-regex -- control characters (newlines) are what is refused
    if (value !== undefined && (value.length > MAX_TEXT || /[\0-\x1f]/.test(value))) {
      throw new UsageError(`${name} must be one line of at most ${MAX_TEXT} characters`);
    }
  }
  return { actor, ...(options.reason !== undefined && { reason: options.reason }) };
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * The client a command writes through, carrying `context`. This is the single place where a
 * write's actor and reason meet the API: the server's API has no field for them yet, so the client
 * is returned as it is; the history issue (#14) passes `context` with each write here.
 */
export function writerFor(client: FeatureFlagClient, context: WriteContext): FeatureFlagClient {
  void context;
  return client;
}
