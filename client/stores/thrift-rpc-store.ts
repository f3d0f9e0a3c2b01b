import {
  DEFAULT_MAX_REPLY_BYTES,
  FeatureFlagStoreItem,
  FeatureFlagStoreMeta,
  InvalidItemError,
  validatePage,
  type CodecOptions,
} from '../../shared';
import { clientDataToStored } from '../../shared/model/stored-codec';
import { writeStoredJson } from '../../shared/stored-json';
import {
  errorFromThrift,
  isNotFound,
  itemFromThrift,
  metaToThrift,
  type ThriftItem,
} from '../../shared/thrift/mapping';
import type { ProtocolName, TransportName } from '../../shared/thrift/wire/message-assembler';
import { validateWireOptions } from '../../shared/thrift/wire/wire-options';
import type { FlipperLogger } from '../../shared/logger';
import { validateTimeout } from '../calls/deadline';
import { GeneratedClientCaller } from '../rpc/generated-client-caller';
import { isGeneratedClient, type GeneratedClient, type RpcCaller, type RpcMethod } from '../rpc/rpc-caller';
import { ReplyCache } from '../rpc/reply-cache';
import { RpcConnection } from '../rpc/rpc-connection';
import type { CreateOptions, FeatureFlagStore, ListOptions } from './feature-flag-store';

/** Where the flag server is, when the store opens its own connection. */
export interface ThriftRPCConnectionOptions {
  /** Default `'127.0.0.1'`. */
  host?: string;
  /** Default 9090. */
  port?: number;
  /** `buffered` or `framed`; must match the server. Default `'buffered'`. */
  transport?: TransportName;
  /** `binary` or `compact`; must match the server. Default `'binary'`. */
  protocol?: ProtocolName;
  /** Largest reply accepted, in bytes (a `List` of many flags is the largest). Default 64 MiB. */
  maxMessageBytes?: number;
}

export interface ThriftRPCStoreOptions extends CodecOptions {
  /** Deadline of each call in ms, connecting included; past it the call rejects with `TimeoutError`. Default 2000. */
  timeout?: number;
  /** Where connection changes and skipped items are logged. Default: none. */
  logger?: FlipperLogger;
}

export const THRIFT_RPC_DEFAULTS = {
  host: '127.0.0.1',
  port: 9090,
  transport: 'buffered' as TransportName,
  protocol: 'binary' as ProtocolName,
  maxMessageBytes: DEFAULT_MAX_REPLY_BYTES,
  timeout: 2000,
};

/**
 * The store contract over the flag server's Thrift service (`flipper-server`, or any server of the
 * same IDL). Pass either a generated `FeatureFlagStore.Client` you made (as with the Python
 * library; you own its connection) or connection options, and the store owns one connection:
 * it connects on first use, reconnects after the server restarts, pipelines concurrent calls,
 * and fails a call with `TimeoutError` past its deadline or `ConnectionError` when the connection
 * drops. Server answers map to the store's errors: NOT_FOUND on `setMeta` is
 * `FlagDoesNotExistError`, INVALID_ARGUMENT is `InvalidArgumentError`, INTERNAL is `StoreError`.
 */
export class ThriftRPCFeatureFlagStore implements FeatureFlagStore {
  private readonly caller: RpcCaller;
  private readonly codec: CodecOptions;
  private readonly logger?: FlipperLogger;
  /** `Get` replies identical to the last one for a flag reuse its decoded (immutable) item. */
  private readonly replies = new ReplyCache<FeatureFlagStoreItem>();
  private readonly decodeItem = (reply: unknown) => itemFromThrift(reply as ThriftItem, this.codec);

  constructor(clientOrOptions: GeneratedClient | ThriftRPCConnectionOptions = {}, options: ThriftRPCStoreOptions = {}) {
    const timeout = validateTimeout(options.timeout ?? THRIFT_RPC_DEFAULTS.timeout, 'timeout');
    this.codec = { clock: options.clock, random: options.random };
    this.logger = options.logger;
    if (isGeneratedClient(clientOrOptions)) {
      this.caller = new GeneratedClientCaller(clientOrOptions, timeout);
      return;
    }
    const o = clientOrOptions;
    const { transport, protocol } = validateWireOptions(
      o.transport ?? THRIFT_RPC_DEFAULTS.transport,
      o.protocol ?? THRIFT_RPC_DEFAULTS.protocol,
    );
    this.caller = new RpcConnection({
      host: o.host ?? THRIFT_RPC_DEFAULTS.host,
      port: o.port ?? THRIFT_RPC_DEFAULTS.port,
      transport,
      protocol,
      timeoutMs: timeout,
      maxMessageBytes: o.maxMessageBytes ?? THRIFT_RPC_DEFAULTS.maxMessageBytes,
      logger: options.logger,
    });
  }

  async create(featureName: string, options: CreateOptions = {}): Promise<FeatureFlagStoreItem> {
    const reply = await this.call('Create', featureName, [
      featureName,
      options.isEnabled ?? false,
      writeStoredJson(clientDataToStored(options.clientData ?? {})),
    ]);
    return itemFromThrift(reply as ThriftItem, this.codec);
  }

  async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    try {
      const decoder = { key: featureName, cache: this.replies, decode: this.decodeItem };
      return (await this.caller.call('Get', [featureName], decoder)) as FeatureFlagStoreItem;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw errorFromThrift(error, featureName);
    }
  }

  async set(featureName: string, isEnabled: boolean): Promise<void> {
    await this.call('Set', featureName, [featureName, isEnabled]);
  }

  async delete(featureName: string): Promise<void> {
    await this.call('Delete', featureName, [featureName]);
  }

  async list(options: ListOptions = {}): Promise<FeatureFlagStoreItem[]> {
    validatePage(options.limit, options.offset);
    const reply = (await this.call('List', '', [options.limit ?? null, options.offset ?? null])) as ThriftItem[];
    const items: FeatureFlagStoreItem[] = [];
    for (const raw of reply ?? []) {
      try {
        items.push(itemFromThrift(raw, this.codec));
      } catch (error) {
        if (!(error instanceof InvalidItemError)) throw error;
        this.logger?.warn(
          { flag: raw?.feature_name, err: error },
          'skipping a flag from the server that does not parse',
        );
      }
    }
    return items;
  }

  async setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    await this.call('SetMeta', featureName, [featureName, metaToThrift(meta)]);
  }

  /** Closes the connection the store opened (not a generated client you passed); safe to call twice. */
  async close(): Promise<void> {
    await this.caller.close();
  }

  private async call(method: RpcMethod, featureName: string, args: unknown[]): Promise<unknown> {
    try {
      return await this.caller.call(method, args);
    } catch (error) {
      throw errorFromThrift(error, featureName);
    }
  }
}
