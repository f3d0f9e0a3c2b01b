import type { Redis } from 'ioredis';
import { compareUtf8 } from '../../shared';
import { slicePage } from '../../shared/page';
import { BackendCallPath } from '../calls/backend-call-path';
import { validateTimeout } from '../calls/deadline';
import { IOREDIS, ioredisUnsendable } from '../calls/drivers/ioredis';
import { SerializedFeatureFlagStore, type SerializedStoreOptions } from './serialized-store';

export interface RedisFeatureFlagStoreOptions extends SerializedStoreOptions {
  /** Keys are `<baseKey>/<name>`, as in the Python library. Default `'features'`. */
  baseKey?: string;
  /**
   * Deadline of each Redis command, in milliseconds, applied by the store whatever the client's
   * own settings: a Redis that is down or hangs makes calls reject with `TimeoutError` after it.
   * Default 1000.
   */
  commandTimeout?: number;
}

/** Keys asked of each SCAN, and keys fetched by each MGET, while listing. */
const SCAN_COUNT = 1000;
const MGET_BATCH = 500;

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
  private readonly redis: Redis;
  private readonly pattern: string;
  private readonly calls: BackendCallPath;

  constructor(redis: Redis, options: RedisFeatureFlagStoreOptions = {}) {
    super(options);
    this.redis = redis;
    this.baseKey = options.baseKey ?? 'features';
    this.pattern = `${escapeGlob(this.baseKey)}/*`;
    this.calls = new BackendCallPath(IOREDIS, {
      bindings: { store: 'redis', baseKey: this.baseKey },
      deadline: { ms: validateTimeout(options.commandTimeout ?? 1000, 'commandTimeout'), option: 'commandTimeout' },
      // A client that is closed or between reconnects would queue the command: fail fast instead.
      unsendable: () => ioredisUnsendable(redis),
      logger: this.logger,
    });
  }

  protected async readRaw(featureName: string): Promise<string | undefined> {
    const value = await this.command('GET', () => this.redis.get(this.key(featureName)));
    return value ?? undefined;
  }

  protected async writeRaw(featureName: string, json: string): Promise<void> {
    await this.command('SET', () => this.redis.set(this.key(featureName), json));
  }

  protected async deleteRaw(featureName: string): Promise<void> {
    await this.command('DEL', () => this.redis.del(this.key(featureName)));
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
}

/** Escapes Redis glob characters (`* ? [ ] \`) so the base key matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
