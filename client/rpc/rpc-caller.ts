/** The service's methods, as named in the IDL. */
export type RpcMethod = 'Create' | 'Get' | 'Set' | 'Delete' | 'List' | 'SetMeta';

/** Makes one call of the FeatureFlagStore service and settles with the raw Thrift answer. */
export interface RpcCaller {
  /** Resolves with the reply value; rejects with the server's exception or a typed transport error. */
  call(method: RpcMethod, args: unknown[]): Promise<unknown>;
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
