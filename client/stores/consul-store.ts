import { EventEmitter } from 'node:events';
import {
  ConnectionError,
  InvalidArgumentError,
  StoreError,
  TimeoutError,
  type FeatureFlagStoreItem,
} from '../../shared';
import { BackendCallPath } from '../calls/backend-call-path';
import { validateTimeout, withDeadline } from '../calls/deadline';
import { isUnreachable } from '../calls/driver-failure';
import { CONSUL } from '../calls/drivers/consul';
import { defaultLogger, type FlipperLogger } from '../logger';
import { ConsulLocalCopy } from './consul-local-copy';
import { SerializedFeatureFlagStore, type SerializedStoreOptions, type StoredVersion } from './serialized-store';

/** Options of the `consul` client's KV calls that the store passes. */
export interface ConsulKvCallOptions {
  key: string;
  recurse?: boolean;
  index?: string;
  wait?: string;
  /** Check-and-set: write only if the key's `ModifyIndex` is this (0: only if the key is absent). */
  cas?: number;
  /** Milliseconds before the client aborts the request. */
  timeout?: number;
  /** An EventEmitter: `'cancel'` aborts the request; `includeResponse: true` makes calls answer `[response, body]`. */
  ctx?: EventEmitter;
}

/** The part of the `consul` npm client (v2) the store uses; a `Consul` instance fits. */
export interface ConsulClientLike {
  kv: {
    get(options: ConsulKvCallOptions): Promise<unknown>;
    set(options: ConsulKvCallOptions & { value: string }): Promise<unknown>;
    del(options: ConsulKvCallOptions): Promise<unknown>;
  };
}

export interface ConsulFeatureFlagStoreOptions extends SerializedStoreOptions {
  /** Keys are `<baseKey>/<name>`, as in the Python library. Default `'features'`. */
  baseKey?: string;
  /** Seconds each blocking query of the watch waits for a change (Consul caps it at 600). Default 30. */
  wait?: number;
  /** Deadline of each write, and of the first load that reads wait for, in milliseconds. Default 5000. */
  timeout?: number;
  /** Milliseconds before the watch retries after its first failure; doubled per failure. Default 100. */
  minBackoff?: number;
  /** Longest pause between the watch's retries, in milliseconds. Default 30000. */
  maxBackoff?: number;
  /** Where watch failures (once per outage) and skipped items are logged. Default: pino on stderr at warn. */
  logger?: FlipperLogger;
}

/** A context whose calls answer `[response, body]`, so the watch can read `X-Consul-Index`. */
class ResponseContext extends EventEmitter {
  readonly includeResponse = true;
}

type KvItem = { Key: string; Value: string | null; ModifyIndex: number };
type KvResponse = [{ headers: Record<string, string | string[] | undefined> }, (KvItem[] | KvItem)?];

/**
 * Keeps each flag under `<baseKey>/<name>` in Consul's KV store as the Python library's JSON
 * (Python's `ConsulFeatureFlagStore` layout), and a local copy of all of them that a background
 * watch keeps current with Consul's blocking queries: reads cost no network call, a key deleted in
 * Consul leaves the copy too, and after an error the watch retries with exponential backoff while
 * reads go on being served from the last copy. Writes go to Consul, then into the copy.
 *
 * The watch starts on first use (or `ready()`). Until its first load, reads wait for it, at most
 * `timeout`; when it failed, they reject with `ConnectionError` at once. `close()` stops the
 * watch; the application owns the `consul` client (`consul.destroy()` closes its sockets).
 */
export class ConsulFeatureFlagStore extends SerializedFeatureFlagStore {
  readonly baseKey: string;
  private readonly consul: ConsulClientLike;
  private readonly prefix: string;
  private readonly copy: ConsulLocalCopy;
  private readonly wait: number;
  private readonly timeout: number;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly calls: BackendCallPath;
  private readonly watchContext = new ResponseContext();
  private watching?: Promise<void>;
  private loaded = false;
  private firstLoad = deferred();
  private lastError?: unknown;
  private closed = false;
  private backoffTimer?: NodeJS.Timeout;
  private wakeUp?: () => void;

  constructor(consul: ConsulClientLike, options: ConsulFeatureFlagStoreOptions = {}) {
    const log = options.logger ?? defaultLogger({ store: 'consul' });
    super({ ...options, logger: log });
    this.consul = consul;
    this.baseKey = options.baseKey ?? 'features';
    if (this.baseKey === '' || this.baseKey.endsWith('/')) {
      throw new InvalidArgumentError(
        `baseKey must be non-empty and not end with "/", got ${JSON.stringify(this.baseKey)}`,
      );
    }
    this.prefix = `${this.baseKey}/`;
    this.copy = new ConsulLocalCopy({ clock: options.clock, random: options.random });
    this.wait = validateTimeout(options.wait ?? 30, 'wait');
    this.timeout = validateTimeout(options.timeout ?? 5000, 'timeout');
    this.minBackoff = validateTimeout(options.minBackoff ?? 100, 'minBackoff');
    this.maxBackoff = Math.max(this.minBackoff, validateTimeout(options.maxBackoff ?? 30000, 'maxBackoff'));
    this.watchContext.setMaxListeners(0);
    this.calls = new BackendCallPath(CONSUL, {
      target: ` under ${JSON.stringify(this.baseKey)}`,
      bindings: { store: 'consul', baseKey: this.baseKey },
      // The client's own `timeout` option ends each request; this deadline is the same, as a backstop.
      deadline: { ms: this.timeout, option: 'timeout' },
      logger: log,
      messages: {
        failing: 'Consul watch failed; serving the last copy (if any) and retrying',
        working: 'Consul watch is working again',
      },
    });
  }

  /** Starts the watch if needed and resolves once the local copy holds Consul's flags. */
  async ready(): Promise<void> {
    await this.loadedOrFail();
  }

  /** The flag from the local copy, `null` when absent, `undefined` before the first load. No I/O. */
  peek(featureName: string): FeatureFlagStoreItem | null | undefined {
    if (!this.loaded) {
      this.start();
      return undefined;
    }
    try {
      return this.copy.item(featureName) ?? null;
    } catch {
      return undefined; // `get` raises the InvalidItemError
    }
  }

  override async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    this.checkName(featureName);
    if (!this.loaded) await this.loadedOrFail();
    return this.copy.item(featureName);
  }

  /**
   * Stops the watch and aborts its query in flight; later calls reject with `StoreError`. Leaves
   * the `consul` client open. Safe to call twice.
   */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.loaded = false; // reads now take the slow path, which rejects
    this.watchContext.emit('cancel');
    clearTimeout(this.backoffTimer);
    this.wakeUp?.();
    this.firstLoad.reject(new StoreError('ConsulFeatureFlagStore was closed before its first load'));
    await this.watching;
  }

  protected async readRaw(featureName: string): Promise<string | undefined> {
    if (!this.loaded) await this.loadedOrFail();
    return this.copy.raw(featureName);
  }

  protected async writeRaw(featureName: string, json: string): Promise<void> {
    if (this.closed) throw closedError();
    this.start();
    const key = this.prefix + featureName;
    const ok = await this.calls.call('PUT', () => this.consul.kv.set({ key, value: json, timeout: this.timeout }), {
      write: true,
    });
    if (ok === false) throw new StoreError(`Consul refused to store ${JSON.stringify(key)}`);
    this.copy.applyWrite(featureName, json);
  }

  /** Read from Consul itself, not the local copy (which may lag): its `ModifyIndex` is what `?cas=` compares. */
  protected override async readForUpdate(featureName: string): Promise<StoredVersion | undefined> {
    if (this.closed) throw closedError();
    this.start();
    const key = this.prefix + featureName;
    const item = (await this.calls.call('GET', () => this.consul.kv.get({ key, timeout: this.timeout }))) as
      KvItem | undefined;
    return item === undefined || item === null ? undefined : { raw: item.Value ?? '', token: item.ModifyIndex };
  }

  protected override async writeIfUnchanged(
    featureName: string,
    json: string,
    expected: StoredVersion | undefined,
  ): Promise<boolean> {
    if (this.closed) throw closedError();
    const key = this.prefix + featureName;
    const cas = expected === undefined ? 0 : Number(expected.token);
    const ok = await this.calls.call(
      'PUT ?cas',
      () => this.consul.kv.set({ key, value: json, cas, timeout: this.timeout }),
      { write: true },
    );
    if (ok !== true) return false;
    this.copy.applyWrite(featureName, json);
    return true;
  }

  protected async deleteRaw(featureName: string): Promise<void> {
    if (this.closed) throw closedError();
    this.start();
    const key = this.prefix + featureName;
    await this.calls.call('DELETE', () => this.consul.kv.del({ key, timeout: this.timeout }), { write: true });
    this.copy.applyWrite(featureName, undefined);
  }

  protected async listRaw(limit: number | undefined, offset: number): Promise<Array<[string, string]>> {
    if (!this.loaded) await this.loadedOrFail();
    return this.copy.page(limit, offset);
  }

  private start(): void {
    if (this.watching === undefined && !this.closed) this.watching = this.watch();
  }

  private async loadedOrFail(): Promise<void> {
    if (this.closed) throw closedError();
    if (this.loaded) return;
    this.start();
    if (this.lastError !== undefined) {
      const message = `No flags loaded from Consul yet: ${(this.lastError as Error).message}`;
      // An agent that answers nothing stays a timeout: callers tell "down" from "slow" by the type.
      if (this.lastError instanceof TimeoutError) throw new TimeoutError(message);
      throw new ConnectionError(message, { cause: this.lastError });
    }
    await withDeadline(this.firstLoad.promise, this.timeout, 'The first load of flags from Consul (timeout)');
  }

  /** Blocking queries on the base key until closed; never rejects. */
  private async watch(): Promise<void> {
    let index = '0';
    let backoff = this.minBackoff;
    while (!this.closed) {
      const sentAt = this.copy.sequence;
      try {
        const blocking = index !== '0';
        // Consul may hold a blocking query up to wait * 17/16 before it answers.
        const timeout = blocking ? Math.ceil((this.wait * 1000 * 17) / 16) + this.timeout : this.timeout;
        const [response, body] = (await this.calls.call(
          'GET',
          () =>
            this.consul.kv.get({
              key: this.prefix,
              recurse: true,
              ...(blocking ? { index, wait: `${this.wait}s` } : {}),
              timeout,
              ctx: this.watchContext,
            }),
          { deadlineMs: timeout },
        )) as KvResponse;
        const next = String(response.headers['x-consul-index'] ?? '');
        if (!/^[1-9][0-9]*$/.test(next)) {
          throw new StoreError(`Consul answered without a valid X-Consul-Index (got ${JSON.stringify(next)})`);
        }
        const recheck = next !== index && this.copy.applySnapshot(this.entries(body), sentAt);
        // An index that went backwards (Consul restored a snapshot) starts over with a full read, and
        // so does a listing that contradicts a write of ours it may predate (see `applySnapshot`).
        index = BigInt(next) < BigInt(index) || recheck ? '0' : next;
        backoff = this.minBackoff;
        this.synced();
      } catch (error) {
        if (this.closed) break;
        this.failed(error);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.maxBackoff);
      }
    }
  }

  private *entries(body: KvItem[] | KvItem | undefined): Iterable<{ name: string; raw: string; modifyIndex: number }> {
    const items = body === undefined ? [] : Array.isArray(body) ? body : [body];
    for (const item of items) {
      const name = item.Key.slice(this.prefix.length);
      if (!item.Key.startsWith(this.prefix) || name === '') continue;
      yield { name, raw: item.Value ?? '', modifyIndex: item.ModifyIndex };
    }
  }

  private synced(): void {
    if (this.closed) return;
    if (!this.loaded) {
      this.loaded = true;
      this.firstLoad.resolve();
    }
    this.lastError = undefined;
    // The call path has logged the end of an outage; this ends a spell of refused answers.
    this.calls.reachability.succeeded({ flags: this.copy.size });
  }

  private failed(error: unknown): void {
    if (!this.loaded) {
      // Readers waiting for the first load learn of the failure now rather than at their deadline.
      this.firstLoad.reject(error);
      this.firstLoad = deferred();
    }
    // The call path logs an unreachable agent; an error answer or a bad index is logged here, once per spell.
    if (!isUnreachable(error)) this.calls.reachability.failed({ err: error, servingLastCopy: this.loaded });
    this.lastError = error;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.backoffTimer = setTimeout(resolve, ms);
    });
  }
}

function closedError(): StoreError {
  return new StoreError('ConsulFeatureFlagStore is closed: its local copy is no longer kept current');
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // a failure nobody waited for is not an unhandled rejection
  return { promise, resolve, reject };
}
