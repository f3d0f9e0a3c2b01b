import { AsyncLocalStorage } from 'node:async_hooks';
import type { RecordedContext } from '../../shared/model/history';

/**
 * The context of the writes made inside `withWriteContext` (who, why, and on a server the call and
 * the peer), carried through async calls instead of through every store method's signature: the
 * RPC store sends it with each write, the PostgreSQL store hands it to its change trigger (as the
 * transaction-local setting `flipper.write_context`), and the flag server's history records it.
 * Node's AsyncLocalStorage, the standard way to carry a request's context (as OpenTelemetry does).
 */
const storage = new AsyncLocalStorage<RecordedContext>();

/** Runs `write` with `context` as the context of every store write it makes. */
export function withWriteContext<T>(context: RecordedContext, write: () => T): T {
  return storage.run(context, write);
}

/** The context of the write being made, if any. */
export function currentWriteContext(): RecordedContext | undefined {
  return storage.getStore();
}
