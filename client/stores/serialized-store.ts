import {
  FeatureFlagStoreItem,
  FeatureFlagStoreMeta,
  FlagDoesNotExistError,
  InvalidItemError,
  deserializeItem,
  serializeItem,
  systemClock,
  validatePage,
  type Clock,
  type CodecOptions,
} from '../../shared';
import type { FlipperLogger } from '../logger';
import type { CreateOptions, FeatureFlagStore, ListOptions } from './feature-flag-store';

export interface SerializedStoreOptions extends CodecOptions {
  /** Source of `createdDate`, in Unix seconds. Default: the system clock. */
  clock?: Clock;
  /** Where skipped (unparseable) items are logged. Default: none. */
  logger?: FlipperLogger;
}

/**
 * Base of the backends that keep each flag as the Python library's JSON text under its name
 * (Redis, SQLite, PostgreSQL, S3, Consul). A backend implements raw reads and writes; parsing,
 * the store contract and the handling of malformed items live here, once.
 */
export abstract class SerializedFeatureFlagStore implements FeatureFlagStore {
  protected readonly clock: Clock;
  protected readonly logger?: FlipperLogger;
  private readonly codec: CodecOptions;

  constructor(options: SerializedStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.codec = { clock: options.clock, random: options.random };
  }

  /** The stored JSON text, or undefined when there is none. */
  protected abstract readRaw(featureName: string): Promise<string | Buffer | undefined>;
  /** Stores the JSON text, replacing any. */
  protected abstract writeRaw(featureName: string, json: string): Promise<void>;
  /** Removes the flag; a missing one is not an error. */
  protected abstract deleteRaw(featureName: string): Promise<void>;
  /** `[name, JSON text]` pairs in ascending UTF-8 order of names, `offset` skipped, at most `limit`. */
  protected abstract listRaw(limit: number | undefined, offset: number): Promise<Array<[string, string | Buffer]>>;

  async create(featureName: string, options: CreateOptions = {}): Promise<FeatureFlagStoreItem> {
    const item = new FeatureFlagStoreItem(
      featureName,
      options.isEnabled ?? false,
      new FeatureFlagStoreMeta({ createdDate: Math.floor(this.clock()), clientData: options.clientData }),
    );
    await this.writeRaw(featureName, serializeItem(item));
    return item;
  }

  async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    const raw = await this.readRaw(featureName);
    return raw === undefined ? undefined : deserializeItem(raw, this.codec);
  }

  async set(featureName: string, isEnabled: boolean): Promise<void> {
    const item = await this.get(featureName);
    if (item === undefined) await this.create(featureName, { isEnabled });
    else await this.writeRaw(featureName, serializeItem(item.withEnabled(isEnabled)));
  }

  async delete(featureName: string): Promise<void> {
    await this.deleteRaw(featureName);
  }

  async list(options: ListOptions = {}): Promise<FeatureFlagStoreItem[]> {
    validatePage(options.limit, options.offset);
    const rows = await this.listRaw(options.limit, options.offset ?? 0);
    const items: FeatureFlagStoreItem[] = [];
    for (const [name, raw] of rows) {
      try {
        items.push(deserializeItem(raw, this.codec));
      } catch (error) {
        if (!(error instanceof InvalidItemError)) throw error;
        this.logger?.warn({ flag: name, err: error }, 'skipping a stored flag that does not parse');
      }
    }
    return items;
  }

  async setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    const item = await this.get(featureName);
    if (item === undefined) throw new FlagDoesNotExistError(featureName);
    await this.writeRaw(featureName, serializeItem(item.withMeta(meta)));
  }

  async close(): Promise<void> {}
}
