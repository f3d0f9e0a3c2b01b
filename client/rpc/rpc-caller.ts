import type { ReplyDecoder } from './reply-cache';

/** The service's methods, as named in the IDL. */
export type RpcMethod = 'Create' | 'Get' | 'Set' | 'Delete' | 'List' | 'SetMeta';

/** Makes one call of the FeatureFlagStore service and settles with the raw Thrift answer. */
export interface RpcCaller {
  /**
   * Resolves with the reply value (passed through `decoder` when given); rejects with the server's
   * exception, a typed transport error, or what `decoder` throws.
   */
  call(method: RpcMethod, args: unknown[], decoder?: ReplyDecoder): Promise<unknown>;
  /** Releases what the caller owns. */
  close(): Promise<void>;
}

/** The callback-style methods of a generated `FeatureFlagStore.Client` (what the Python library takes). */
export type GeneratedClient = {
  [M in RpcMethod]: (...args: unknown[]) => unknown;
};

/** True for a generated client (or anything with its methods), as opposed to connection options. */
export function isGeneratedClient(value: unknown): value is GeneratedClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).Get === 'function' &&
    typeof (value as Record<string, unknown>).SetMeta === 'function'
  );
}
