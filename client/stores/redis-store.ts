import { createHash } from 'node:crypto';
import { compareUtf8, InvalidArgumentError } from '../../shared';
import { slicePage } from '../../shared/page';
import { BackendCallPath } from '../calls/backend-call-path';
import { validateTimeout } from '../calls/deadline';
import { IOREDIS, ioredisUnsendable } from '../calls/drivers/ioredis';
import { SerializedFeatureFlagStore, type SerializedStoreOptions, type StoredVersion } from './serialized-store';

export interface RedisFeatureFlagStoreOptions extends SerializedStoreOptions {
  /** Keys are `<baseKey>/<name>`, as in the Python library. Default `'features'`. */
  baseKey?: string;
  /**
   * Deadline of each Redis command, in milliseconds, applied by the store whatever the client's
   * own settings: a Redis that is down or hangs makes calls reject with `TimeoutError` after it.
   * Default 1000.
   */
  commandTimeout?: number;
  /**
   * After this many commands in a row end by their deadline, the store drops the client's
   * connection (ioredis then reconnects by its `retryStrategy`): a connection frozen by a network
   * fault otherwise fails every command for good while a new one would work. 0: never. Default 3.
   */
  reconnectAfterTimeouts?: number;
}

/**
 * Compare-and-set in one script, so nothing runs between the comparison and the write: SET the
 * key to ARGV[2] only if it holds exactly ARGV[1] (ARGV[3] = '0': only if it does not exist).
 * Comparing the text itself, rather than a version number, also catches a Python writer's change.
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if ARGV[3] == '0' then
  if current then return 0 end
elseif current ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;
const COMPARE_AND_SET_SHA = createHash('sha1').update(COMPARE_AND_SET).digest('hex');

/** Keys asked of each SCAN, and keys fetched by each MGET, while listing. */
const SCAN_COUNT = 1000;
const MGET_BATCH = 500;

/**
 * An `ioredis` client, as far as the store needs one. Written here, not imported, so an
 * application's own ioredis (another major version included) fits without a type clash.
 */
export interface RedisClient {
  /** ioredis' connection status: `wait`, `connecting`, `connect`, `ready`, `reconnecting`, `end`... */
  readonly status: string;
  /** The connection's socket (destroyed to force a reconnect after timeouts in a row). */
  readonly stream?: { destroy(): void };
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  del(key: string): Promise<number>;
  mget(keys: string[]): Promise<Array<string | null>>;
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  evalsha(sha: string, numKeys: number, ...args: Array<string | Buffer>): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: Array<string | Buffer>): Promise<unknown>;
  connect(): Promise<void>;
  once(event: 'ready' | 'end', listener: () => void): unknown;
  off(event: 'ready' | 'end', listener: () => void): unknown;
}

/**
 * Told of each write the store makes, in the same turn its command is sent on the store's
 * connection, so a command the observer sends on that connection runs after the write in Redis
 * with no round trip of its own in between (the flag server records its history this way).
 * `stored` is the text written (`null` for a delete); the write waits for the observer's promise
 * too, and an observer failure does not fail the write.
 */
export interface RedisWriteObserver {
  written(redis: RedisClient, featureName: string, stored: string | null): Promise<unknown>;
}

/**
 * Keeps each flag under `<baseKey>/<name>` as the Python library's JSON: the Python library's
 * layout, so Python and Node services share one Redis. Every call is a network round trip; wrap
 * the store in `CachedFeatureFlagStore` for hot paths.
 *
 * The application passes its own `ioredis` client (`ioredis` is not imported here) and keeps
 * owning it: `close()` does not disconnect it. A single Redis, not a Cluster: SCAN walks one node.
 */
export class RedisFeatureFlagStore extends SerializedFeatureFlagStore {
  /** The key prefix, without the trailing `/`. */
  readonly baseKey: string;
  private readonly redis: RedisClient;
  private readonly pattern: string;
  private readonly calls: BackendCallPath;
  private observer: RedisWriteObserver | undefined;

  constructor(redis: RedisClient, options: RedisFeatureFlagStoreOptions = {}) {
    super(options);
    this.redis = redis;
    this.baseKey = options.baseKey ?? 'features';
    this.pattern = `${escapeGlob(this.baseKey)}/*`;
    this.calls = new BackendCallPath(IOREDIS, {
      bindings: { store: 'redis', baseKey: this.baseKey },
      deadline: { ms: validateTimeout(options.commandTimeout ?? 1000, 'commandTimeout'), option: 'commandTimeout' },
      // A client that is closed or between reconnects would queue the command: fail fast instead.
      unsendable: () => ioredisUnsendable(redis),
      reconnect: reconnectAfter(redis, options.reconnectAfterTimeouts ?? 3),
      logger: this.logger,
    });
  }

  protected async readRaw(featureName: string): Promise<string | undefined> {
    const value = await this.command('GET', () => this.redis.get(this.key(featureName)));
    return value ?? undefined;
  }

  /** Tells `observer` of every write from now on (one observer at most; `undefined` removes it). */
  observeWrites(observer: RedisWriteObserver | undefined): void {
    if (observer !== undefined && this.observer !== undefined) {
      throw new Error('RedisFeatureFlagStore.observeWrites: this store already has an observer');
    }
    this.observer = observer;
  }

  protected async writeRaw(featureName: string, json: string): Promise<void> {
    await this.write('SET', () => this.observed(featureName, json, this.redis.set(this.key(featureName), json)));
  }

  protected async deleteRaw(featureName: string): Promise<void> {
    await this.write('DEL', () => this.observed(featureName, null, this.redis.del(this.key(featureName))));
  }

  /** The write's command, with the observer's command sent right behind it (same turn, same connection). */
  private observed<T>(featureName: string, stored: string | null, command: Promise<T>): Promise<T> {
    const observer = this.observer;
    if (observer === undefined) return command;
    const after = observer.written(this.redis, featureName, stored).catch(() => undefined);
    return command.then(async (value) => {
      await after;
      return value;
    });
  }

  protected override async writeIfUnchanged(
    featureName: string,
    json: string,
    expected: StoredVersion | undefined,
  ): Promise<boolean> {
    const args = [this.key(featureName), expected?.raw ?? '', json, expected === undefined ? '0' : '1'];
    const written = await this.write('compare-and-set', async () => {
      try {
        return await this.observed(featureName, json, this.redis.evalsha(COMPARE_AND_SET_SHA, 1, ...args));
      } catch (error) {
        // The first use on this Redis (or after SCRIPT FLUSH): send the script itself, which caches it.
        if (!/^NOSCRIPT/.test((error as Error)?.message ?? '')) throw error;
        return await this.observed(featureName, json, this.redis.eval(COMPARE_AND_SET, 1, ...args));
      }
    });
    return written === 1;
  }

  protected async listRaw(limit: number | undefined, offset: number): Promise<Array<[string, string]>> {
    const names = (await this.scanNames()).sort(compareUtf8);
    const page = slicePage(names, limit, offset);
    const rows: Array<[string, string]> = [];
    for (let i = 0; i < page.length; i += MGET_BATCH) {
      const batch = page.slice(i, i + MGET_BATCH);
      const values = await this.command('MGET', () => this.redis.mget(batch.map((n) => this.key(n))));
      // A key deleted between SCAN and MGET comes back null: it is simply gone.
      batch.forEach((name, j) => values[j] != null && rows.push([name, values[j]!]));
    }
    return rows;
  }

  /** Every flag name under the base key; SCAN may repeat a key, so they are deduplicated. */
  private async scanNames(): Promise<string[]> {
    const names = new Set<string>();
    const prefix = this.baseKey.length + 1;
    let cursor = '0';
    do {
      const [next, keys] = await this.command('SCAN', () =>
        this.redis.scan(cursor, 'MATCH', this.pattern, 'COUNT', SCAN_COUNT),
      );
      for (const key of keys) names.add(key.slice(prefix));
      cursor = next;
    } while (cursor !== '0');
    return [...names];
  }

  private key(featureName: string): string {
    return `${this.baseKey}/${featureName}`;
  }

  /** One command through the backend call path (deadline, typed error, reachability log). */
  private command<T>(name: string, send: () => Promise<T>): Promise<T> {
    return this.calls.call(name, send);
  }

  /**
   * A command that changes Redis. It is sent only on a ready connection (a client still connecting
   * would queue it, and send it even after its deadline): waiting for one is a call of its own, so
   * a deadline passed while waiting is a plain `TimeoutError`, and one passed after sending is
   * `OutcomeUnknownError`.
   */
  private async write<T>(name: string, send: () => Promise<T>): Promise<T> {
    const status = this.redis.status;
    if (status === 'wait' || status === 'connecting' || status === 'connect') {
      await this.calls.call('connect', (signal) => readyOrAbort(this.redis, signal));
    }
    return this.calls.call(name, send, { write: true });
  }
}

/** The call path's forced reconnect: destroying the socket (a polite QUIT would wait on the frozen connection). */
function reconnectAfter(redis: RedisClient, afterTimeouts: number): { afterTimeouts: number; run(): void } | undefined {
  if (!Number.isInteger(afterTimeouts) || afterTimeouts < 0) {
    throw new InvalidArgumentError(
      `reconnectAfterTimeouts must be an integer, 0 or more, got ${String(afterTimeouts)}`,
    );
  }
  if (afterTimeouts === 0) return undefined;
  return {
    afterTimeouts,
    run: () => {
      if (redis.status === 'ready') redis.stream?.destroy();
    },
  };
}

/** Escapes Redis glob characters (`* ? [ ] \`) so the base key matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Resolves when the client is ready; rejects when `signal` aborts (the call path's deadline) or it ends. */
function readyOrAbort(redis: RedisClient, signal: AbortSignal | undefined): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  // A lazy client connects on its first command; this is the first.
  if (redis.status === 'wait') redis.connect().catch(() => {});
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(new Error('Connection is closed.'));
    const onAbort = () => done(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    redis.once('ready', onReady);
    redis.once('end', onEnd);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
