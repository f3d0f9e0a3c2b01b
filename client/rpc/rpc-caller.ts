import { ConnectionError, OutcomeUnknownError, TimeoutError } from '../../shared';
import type { ReplyDecoder } from './reply-cache';

/** The service's methods, as named in the IDL. */
export type RpcMethod =
  | 'Create'
  | 'Get'
  | 'Set'
  | 'Delete'
  | 'List'
  | 'SetMeta'
  | 'SetIf'
  | 'SetMetaIf'
  | 'ListPage'
  | 'GetSnapshot'
  | 'WaitForChanges'
  | 'History'
  | 'Rollback'
  | 'SetWriteContext';

/** Methods added by this project: a generated client of the Python library's IDL lacks them. */
type AddedMethod =
  'SetIf' | 'SetMetaIf' | 'ListPage' | 'GetSnapshot' | 'WaitForChanges' | 'History' | 'Rollback' | 'SetWriteContext';

/** Makes one call of the FeatureFlagStore service and settles with the raw Thrift answer. */
export interface RpcCaller {
  /**
   * Resolves with the reply value (passed through `decoder` when given; `timeoutMs` replaces the
   * caller's deadline for this call, as a long poll needs); rejects with the server's
   * exception, a typed transport error, or what `decoder` throws.
   */
  call(method: RpcMethod, args: unknown[], decoder?: ReplyDecoder, timeoutMs?: number): Promise<unknown>;
  /** Releases what the caller owns. */
  close(): Promise<void>;
}

/** The callback-style methods of a generated `FeatureFlagStore.Client` (what the Python library takes). */
export type GeneratedClient = {
  [M in Exclude<RpcMethod, AddedMethod>]: (...args: unknown[]) => unknown;
} & Partial<Record<AddedMethod, (...args: unknown[]) => unknown>>;

/** True for a generated client (or anything with its methods), as opposed to connection options. */
export function isGeneratedClient(value: unknown): value is GeneratedClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).Get === 'function' &&
    typeof (value as Record<string, unknown>).SetMeta === 'function'
  );
}

/** Writes made under the actor and reason their connection declared (`SetWriteContext`). */
export const DECLARED_CONTEXT_WRITES: ReadonlySet<RpcMethod> = new Set([
  'Create',
  'Set',
  'Delete',
  'SetMeta',
  'SetIf',
  'SetMetaIf',
]);

/** Every write: those above, and `Rollback`, which carries its own context. */
const WRITES: ReadonlySet<RpcMethod> = new Set([...DECLARED_CONTEXT_WRITES, 'Rollback']);

/**
 * The arguments as a generated client's method takes them before its callback: padded with
 * `undefined` (absent on the wire: an optional argument added to the IDL later, such as a write's
 * `context`), or cut to what a client generated from an older IDL (the Python library's) has, so
 * the callback always lands in its place.
 */
export function fitArguments(method: (...args: never[]) => unknown, args: unknown[]): unknown[] {
  const count = method.length - 1;
  if (args.length === count || count < 0) return args;
  return args.length > count ? args.slice(0, count) : [...args, ...new Array<undefined>(count - args.length)];
}

/**
 * How a call that was sent and then lost its answer (deadline passed, connection dropped) ends:
 * for a write, `OutcomeUnknownError` (the server may have applied it); for a read, as it failed.
 */
export function sentCallFailure(method: RpcMethod, error: unknown): unknown {
  if (!WRITES.has(method) || !(error instanceof TimeoutError || error instanceof ConnectionError)) return error;
  return new OutcomeUnknownError(`${error.message}; the ${method} was sent, so it may have been applied`, {
    cause: error,
  });
}
