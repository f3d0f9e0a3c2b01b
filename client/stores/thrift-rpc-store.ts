import {
  ConflictError,
  DEFAULT_MAX_REPLY_BYTES,
  FeatureFlagStoreItem,
  FlagDoesNotExistError,
  FeatureFlagStoreMeta,
  HistoryUnavailableError,
  InvalidArgumentError,
  StoreError,
  InvalidItemError,
  compareUtf8,
  validateFlagName,
  validatePage,
  type CodecOptions,
  type HistoryEntry,
  type HistoryOptions,
  type RollbackOptions,
} from '../../shared';
import { historyEntryFromThrift, writeContextToThrift } from '../../shared/thrift/history-mapping';
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
import { revisionOf } from '../../shared/model/revision';
import { CONFLICT, retryOnConflict, type ConflictRetryOptions } from '../calls/conflict-retry';
import { validateTimeout } from '../calls/deadline';
import { GeneratedClientCaller } from '../rpc/generated-client-caller';
import { isGeneratedClient, type GeneratedClient, type RpcCaller, type RpcMethod } from '../rpc/rpc-caller';
import { readListPageReply, readListReply, type ListedPage } from '../rpc/list-reply';
import { DEFAULT_REPLY_CACHE_BYTES, ReplyCache, type ReplyDecoder } from '../rpc/reply-cache';
import { SkippedItems } from '../rpc/skipped-items';
import { isUnknownMethod } from '../rpc/unknown-method';
import type { BackoffOptions } from '../calls/backoff';
import { RpcConnection, type RpcTlsOptions } from '../rpc/rpc-connection';
import type { CreateOptions, FeatureFlagStore, ItemChange, ListOptions, UpdateOptions } from './feature-flag-store';

export type { BackoffOptions } from '../calls/backoff';
export type { RpcTlsOptions } from '../rpc/rpc-connection';

/** A `ListPage` reply as the generated code decodes it. */
interface ThriftListPage {
  items?: ThriftItem[] | null;
  next_cursor?: string | null;
}

/** Flags asked for per `ListPage` call by default. */
const DEFAULT_RPC_LIST_PAGE_SIZE = 250;

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
  /**
   * TLS to a server started with `--tls-cert`: `{ ca, cert, key, servername }`, each PEM text (a
   * string or Buffer, not a path: `readFileSync('ca.crt')`). `cert` and `key` are this client's
   * identity for a server with `--tls-client-auth`. Default: plain text.
   */
  tls?: RpcTlsOptions;
}

export interface ThriftRPCStoreOptions extends CodecOptions {
  /** Deadline of each call in ms, connecting included; past it the call rejects with `TimeoutError`. Default 2000. */
  timeout?: number;
  /** Where connection changes and skipped items are logged. Default: none. */
  logger?: FlipperLogger;
  /**
   * After a failed connection attempt, the next one waits between half and all of
   * `initialDelayMs * 2^(failures-1)`, at most `maxDelayMs` (calls wait for it, or reject with
   * `ConnectionError` at once when it is due after their deadline). Default 100 ms doubling up to
   * 1000 ms; `random` (default `Math.random`) picks within the range.
   */
  reconnect?: BackoffOptions;
  /** Calls in a row past their deadline after which the connection is replaced. Default 3. */
  maxConsecutiveTimeouts?: number;
  /** Bytes of `Get` replies kept to skip decoding an unchanged flag again. Default 16 MiB. */
  replyCacheBytes?: number;
  /** How `update` retries when the server answers CONFLICT (another writer changed the flag first). */
  conflictRetry?: ConflictRetryOptions;
  /**
   * Flags asked for per `ListPage` call by `list` (the server may send fewer: its own page size
   * and page bytes). Smaller pages decode in shorter runs. Default 250.
   */
  listPageSize?: number;
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
 * `FlagDoesNotExistError`, INVALID_ARGUMENT is `InvalidArgumentError`, CONFLICT is `ConflictError`,
 * OUTCOME_UNKNOWN (and a write whose answer was lost after it was sent) is `OutcomeUnknownError`,
 * PERMISSION_DENIED (the server's `--authz` policy or `--read-only`) is `PermissionDeniedError`,
 * INTERNAL is `StoreError`.
 *
 * `update` is conditional over the wire: it sends the revision of the flag it read
 * (`SetMetaIf`/`SetIf` with `expected_revision`), the server writes only if the flag is still at that
 * revision, and on CONFLICT the store reads again and retries. A server that sends no revision
 * (one built from the Python library's IDL) gets plain writes.
 */
export class ThriftRPCFeatureFlagStore implements FeatureFlagStore {
  private readonly caller: RpcCaller;
  private readonly codec: CodecOptions;
  private readonly logger?: FlipperLogger;
  private readonly conflictRetry: ConflictRetryOptions;
  /** `Get` replies identical to the last one for a flag reuse its decoded (immutable) item. */
  private readonly replies: ReplyCache<FeatureFlagStoreItem>;
  private readonly decodeItem = (reply: unknown) => itemFromThrift(reply as ThriftItem, this.codec);
  /** False once the server answered that it has no `ListPage`. */
  private pagedLists = true;
  private readonly listPageSize: number;

  constructor(clientOrOptions: GeneratedClient | ThriftRPCConnectionOptions = {}, options: ThriftRPCStoreOptions = {}) {
    const timeout = validateTimeout(options.timeout ?? THRIFT_RPC_DEFAULTS.timeout, 'timeout');
    this.codec = { clock: options.clock, random: options.random };
    this.replies = new ReplyCache(1024, options.replyCacheBytes ?? DEFAULT_REPLY_CACHE_BYTES);
    this.logger = options.logger;
    this.conflictRetry = options.conflictRetry ?? {};
    this.listPageSize = options.listPageSize ?? DEFAULT_RPC_LIST_PAGE_SIZE;
    if (!Number.isSafeInteger(this.listPageSize) || this.listPageSize <= 0) {
      throw new InvalidArgumentError(`listPageSize must be a positive integer, got ${String(options.listPageSize)}`);
    }
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
      reconnect: options.reconnect,
      maxConsecutiveTimeouts: options.maxConsecutiveTimeouts,
      tls: o.tls,
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
    // Checked here too: the wire carries names as UTF-8, where a lone surrogate would become
    // U+FFFD and name another flag on the server.
    validateFlagName(featureName);
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

  /**
   * Reads the flags a page at a time (`ListPage`, each page its own call with its own deadline, at
   * most the server's page size and page bytes), so a list of any length works with the default
   * timeout and reply limit. A server without `ListPage` (older, or another implementation of the
   * Python library's IDL) gets one `List`. A flag created or deleted during the walk may shift the
   * pages: no flag comes twice, one may be missed.
   */
  async list(options: ListOptions = {}): Promise<FeatureFlagStoreItem[]> {
    validatePage(options.limit, options.offset);
    if (!this.pagedLists) return this.listAtOnce(options);
    const skipped = new SkippedItems();
    const convert = (raw: ThriftItem) => this.listedItem(raw, skipped);
    const decoder: ReplyDecoder<ListedPage<FeatureFlagStoreItem>> = {
      // A generated client you passed hands over the whole page at once.
      decode: (reply) => {
        const raw = reply as ThriftListPage | null;
        return { items: (raw?.items ?? []).flatMap((item) => convert(item) ?? []), next_cursor: raw?.next_cursor };
      },
      // The store's own connection reads it flag by flag, yielding, within the deadline.
      stream: (reader, control) => readListPageReply(reader, control, convert),
    };
    const items: FeatureFlagStoreItem[] = [];
    let cursor: string | null = null;
    for (;;) {
      const left = Math.min(options.limit ?? Infinity, items.length + this.listPageSize) - items.length;
      if (left === 0) break;
      let page: ListedPage<FeatureFlagStoreItem>;
      try {
        const args = [left, cursor === null ? (options.offset ?? null) : null, cursor];
        page = (await this.call('ListPage', '', args, decoder)) as ListedPage<FeatureFlagStoreItem>;
      } catch (error) {
        if (cursor !== null || !isUnknownMethod(error)) throw error;
        this.pagedLists = false;
        return this.listAtOnce(options);
      }
      const last = items.length > 0 ? items[items.length - 1].featureName : undefined;
      for (const item of page.items) {
        if (last === undefined || compareUtf8(item.featureName, last) > 0) items.push(item);
      }
      if (typeof page?.next_cursor !== 'string' || page.next_cursor === '') break;
      cursor = page.next_cursor;
    }
    skipped.log(this.logger);
    return items;
  }

  /** `List` in one call (servers without `ListPage`). */
  private async listAtOnce(options: ListOptions): Promise<FeatureFlagStoreItem[]> {
    const skipped = new SkippedItems();
    const convert = (raw: ThriftItem) => this.listedItem(raw, skipped);
    const decoder: ReplyDecoder<FeatureFlagStoreItem[]> = {
      // A generated client you passed hands over the whole list at once.
      decode: (reply) => ((reply as ThriftItem[] | null) ?? []).flatMap((raw) => convert(raw) ?? []),
      // The store's own connection reads it flag by flag, yielding, within the deadline.
      stream: (reader, control) => readListReply(reader, control, convert),
    };
    let items: FeatureFlagStoreItem[];
    try {
      items = (await this.caller.call(
        'List',
        [options.limit ?? null, options.offset ?? null],
        decoder,
      )) as FeatureFlagStoreItem[];
    } catch (error) {
      throw errorFromThrift(error, '');
    }
    skipped.log(this.logger);
    return items;
  }

  /** A listed flag as an item, or undefined (counted in `skipped`) when it does not parse. */
  private listedItem(raw: ThriftItem, skipped: SkippedItems): FeatureFlagStoreItem | undefined {
    // A struct with no name is skipped before building an error for it: a hostile server may send millions.
    if (typeof raw?.feature_name !== 'string') return skipped.add(undefined, undefined);
    try {
      return itemFromThrift(raw, this.codec);
    } catch (error) {
      if (!(error instanceof InvalidItemError)) throw error;
      return skipped.add(raw.feature_name, error);
    }
  }

  async setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    await this.call('SetMeta', featureName, [featureName, metaToThrift(meta)]);
  }

  async update(featureName: string, change: ItemChange, options?: UpdateOptions): Promise<FeatureFlagStoreItem> {
    return retryOnConflict(
      `Update of feature flag ${JSON.stringify(featureName)}`,
      async () => {
        const current = await this.get(featureName);
        if (current === undefined) throw new FlagDoesNotExistError(featureName);
        const revision = revisionOf(current);
        const next = change(current, revision);
        if (next === current) return current;
        try {
          // Conditional calls only when the server gave a revision: a server of the Python
          // library's IDL gives none and has no SetIf/SetMetaIf.
          let expected = revision;
          if (next.meta !== current.meta) {
            const meta = metaToThrift(next.meta);
            if (expected === undefined) await this.call('SetMeta', featureName, [featureName, meta]);
            else await this.call('SetMetaIf', featureName, [featureName, meta, expected]);
            // The flag's revision is now unknown here: a state change after it is sent unconditionally.
            expected = undefined;
          }
          // Also when the meta is unchanged: the stored state may read as `next.isEnabled` without
          // being it (Python's `is_enabled: null` reads as on), and `withEnabled` asked to store it.
          if (next.isEnabled !== current.isEnabled || next.meta === current.meta) {
            if (expected === undefined) await this.call('Set', featureName, [featureName, next.isEnabled]);
            else await this.call('SetIf', featureName, [featureName, next.isEnabled, expected]);
          }
        } catch (error) {
          if (error instanceof ConflictError) return CONFLICT;
          throw error;
        }
        return next;
      },
      { ...this.conflictRetry, ...options },
    );
  }

  /** Closes the connection the store opened (not a generated client you passed); safe to call twice. */
  async close(): Promise<void> {
    await this.caller.close();
  }

  /** A call about one flag: its name is checked before anything is sent. `''` for calls about none (ListPage). */
  /**
   * The flag's recorded changes, newest first, as the server keeps them. A server without history
   * (older, or started with `--history-limit 0`) is `HistoryUnavailableError`.
   */
  async history(featureName: string, options: HistoryOptions = {}): Promise<HistoryEntry[]> {
    const limit = options.limit ?? 50;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError('limit must be a positive integer');
    const args = [featureName, Math.min(limit, 2 ** 31 - 1), options.beforeVersion ?? null];
    const page = (await this.historyCall('History', featureName, args)) as { entries?: unknown[] | null } | null;
    return (page?.entries ?? []).map((entry) => historyEntryFromThrift(entry, this.codec));
  }

  /** Restores the flag as recorded at `version`, through the server (see `FeatureFlagClient.rollback`). */
  async rollback(featureName: string, version: number, options: RollbackOptions = {}): Promise<HistoryEntry> {
    const context = writeContextToThrift(options);
    const args = [featureName, version, context, options.expectedRevision ?? null];
    return historyEntryFromThrift(await this.historyCall('Rollback', featureName, args), this.codec);
  }

  private async historyCall(method: 'History' | 'Rollback', featureName: string, args: unknown[]): Promise<unknown> {
    try {
      return await this.call(method, featureName, args);
    } catch (error) {
      if (error instanceof StoreError && /keeps no history/.test(error.message)) {
        throw new HistoryUnavailableError(error.message.replace(/^The flag server failed: /, 'The flag server: '), {
          cause: error,
        });
      }
      if (!isUnknownMethod(error)) throw error;
      throw new HistoryUnavailableError(`the flag server is older than history (it has no ${method} method)`, {
        cause: error,
      });
    }
  }

  private async call(
    method: RpcMethod,
    featureName: string,
    args: unknown[],
    decoder?: ReplyDecoder,
  ): Promise<unknown> {
    if (method !== 'List' && method !== 'ListPage') validateFlagName(featureName);
    try {
      return await this.caller.call(method, args, decoder);
    } catch (error) {
      throw errorFromThrift(error, featureName);
    }
  }
}
