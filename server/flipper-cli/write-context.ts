import { userInfo } from 'node:os';
import { withWriteContext } from '../../client/calls/write-context';
import type { WriteContext } from '../../shared';
import { contextText } from '../../shared/thrift/history-mapping';
import { usage } from './values';

/** Who makes a change (always said: `--actor`, `$FLIPPER_ACTOR` or the OS user) and why (`--reason`). */
export type CliWriteContext = WriteContext & { actor: string };

/**
 * The context of this invocation's writes: `--actor` (default `$FLIPPER_ACTOR`, then the OS user)
 * and `--reason`, checked as the library and the server check them (one line, at most 1024
 * characters), so a bad one is a usage error before anything is sent.
 */
export function writeContext(options: { actor?: string; reason?: string }, env: NodeJS.ProcessEnv): CliWriteContext {
  const actor = usage(() => contextText(options.actor ?? env.FLIPPER_ACTOR ?? osUser(), '--actor'))!;
  const reason = usage(() => contextText(options.reason, '--reason'));
  return { actor, ...(reason !== undefined && { reason }) };
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * Runs a command's writes with its context: the single place where a write's actor and reason meet
 * the API. Every store write made inside `write` (a client method, `updateFlag`, `store.create`)
 * carries them to the server, which records them in the flag's history (with the verified
 * certificate identity beside them). The library's own carrier, the one `client.enable(name,
 * { actor, reason })` uses, so import's store-level writes carry it too.
 */
export function writingAs<T>(context: CliWriteContext, write: () => Promise<T>): Promise<T> {
  return withWriteContext(context, write);
}
