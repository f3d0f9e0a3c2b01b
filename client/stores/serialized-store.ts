import {
  FeatureFlagStoreItem,
  FeatureFlagStoreMeta,
  FlagDoesNotExistError,
  InvalidItemError,
  deserializeItem,
  serializeItem,
  systemClock,
  validateFlagName,
  validatePage,
  type Clock,
  type CodecOptions,
} from '../../shared';
import { rememberRevision, textRevision } from '../../shared/model/revision';
import { checkFlagSize, maxFlagBytesOption } from '../../shared/model/flag-size';
import { Slice } from '../../shared/work-slices';
import { CONFLICT, retryOnConflict, type ConflictRetryOptions } from '../calls/conflict-retry';
import type { FlipperLogger } from '../logger';
import type { CreateOptions, FeatureFlagStore, ItemChange, ListOptions, UpdateOptions } from './feature-flag-store';

export interface SerializedStoreOptions extends CodecOptions {
  /** Source of `createdDate`, in Unix seconds. Default: the system clock. */
  clock?: Clock;
  /** Where skipped (unparseable) items are logged. Default: none. */
  logger?: FlipperLogger;
  /** How conditional writes retry when another writer changed the flag first (see `update`). */
  conflictRetry?: ConflictRetryOptions;
  /**
   * Largest flag a write may leave, in bytes of its stored JSON; a larger one is refused with
   * `InvalidArgumentError` and nothing is written. Default 512 KiB.
   */
  maxFlagBytes?: number;
}

/**
 * A stored flag as a conditional write compares it: its JSON text, and the backend's own token for
 * that version where it has one (Consul's `ModifyIndex`, S3's `ETag`).
 */
export interface StoredVersion {
  raw: string | Buffer;
  token?: string | number;
}

/**
 * What a read-modify-write decides from the stored version (undefined when absent): the JSON text
 * to store (undefined: write nothing) and what the operation answers.
 */
export type RawPlan<T> = (current: StoredVersion | undefined) => { json?: string; result: T };

/**
 * Base of the backends that keep each flag as the Python library's JSON text under its name
 * (Redis, SQLite, PostgreSQL, S3, Consul). A backend implements raw reads and writes and one
 * conditional write; parsing, the store contract, the handling of malformed items and the
 * read-modify-write loop live here, once.
 *
 * Every operation is atomic: `create` and `delete` are one backend command each; `set`, `setMeta`
 * and `update` read the stored text and write only if it is still the same (`writeIfUnchanged`,
 * each backend's own compare-and-set), reading again on a conflict. A backend with transactions
 * (SQLite) overrides `updateRaw` instead.
 */
export abstract class SerializedFeatureFlagStore implements FeatureFlagStore {
  protected readonly clock: Clock;
  protected readonly logger?: FlipperLogger;
  private readonly codec: CodecOptions;
  private readonly conflictRetry: ConflictRetryOptions;
  private readonly maxFlagBytes: number;

  constructor(options: SerializedStoreOptions = {}) {
    this.maxFlagBytes = maxFlagBytesOption(options.maxFlagBytes);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.codec = { clock: options.clock, random: options.random };
    this.conflictRetry = options.conflictRetry ?? {};
  }

  /** The stored JSON text, or undefined when there is none. */
  protected abstract readRaw(featureName: string): Promise<string | Buffer | undefined>;
  /** Stores the JSON text, replacing any. */
  protected abstract writeRaw(featureName: string, json: string): Promise<void>;
  /** Removes the flag; a missing one is not an error. */
  protected abstract deleteRaw(featureName: string): Promise<void>;
  /** `[name, JSON text]` pairs in ascending UTF-8 order of names, `offset` skipped, at most `limit`. */
  protected abstract listRaw(limit: number | undefined, offset: number): Promise<Array<[string, string | Buffer]>>;
  /**
   * Stores `json` only if the flag is still as `expected` (undefined: still absent), in one atomic
   * backend operation; false when it changed, with nothing written. Every store of this package
   * overrides it with its backend's compare-and-set. This default, kept so that stores written
   * before it existed still work, reads, compares and writes in three steps: a writer in between
   * can still be lost.
   */
  protected async writeIfUnchanged(
    featureName: string,
    json: string,
    expected: StoredVersion | undefined,
  ): Promise<boolean> {
    const raw = await this.readRaw(featureName);
    if (raw === undefined ? expected !== undefined : expected === undefined || !sameText(raw, expected.raw)) {
      return false;
    }
    await this.writeRaw(featureName, json);
    return true;
  }

  /** The stored version a conditional write will compare with. Default: the text `readRaw` gives. */
  protected async readForUpdate(featureName: string): Promise<StoredVersion | undefined> {
    const raw = await this.readRaw(featureName);
    return raw === undefined ? undefined : { raw };
  }

  /**
   * Read, plan, conditional write; again on a conflict (bounded, with random pauses). The plan may
   * run once per attempt.
   */
  protected updateRaw<T>(featureName: string, plan: RawPlan<T>, options?: UpdateOptions): Promise<T> {
    return retryOnConflict(
      `Update of feature flag ${JSON.stringify(featureName)}`,
      async () => {
        const current = await this.readForUpdate(featureName);
        const { json, result } = plan(current);
        if (json === undefined) return result;
        return (await this.writeIfUnchanged(featureName, json, current)) ? result : CONFLICT;
      },
      { ...this.conflictRetry, ...options },
    );
  }

  /**
   * Throws `InvalidFlagNameError` for a name no store takes (see `validateFlagName`); a backend
   * adds what it cannot hold (PostgreSQL: NUL). Every operation on one name checks it first.
   */
  protected checkName(featureName: string): void {
    validateFlagName(featureName);
  }

  async create(featureName: string, options: CreateOptions = {}): Promise<FeatureFlagStoreItem> {
    this.checkName(featureName);
    const item = this.freshItem(featureName, options.isEnabled ?? false, options);
    const json = serializeItem(item);
    checkFlagSize(item, this.maxFlagBytes, json);
    await this.writeRaw(featureName, json);
    rememberRevision(item, () => textRevision(json));
    return item;
  }

  async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    this.checkName(featureName);
    const raw = await this.readRaw(featureName);
    return raw === undefined ? undefined : this.parse(raw);
  }

  async set(featureName: string, isEnabled: boolean): Promise<void> {
    this.checkName(featureName);
    await this.updateRaw(featureName, (current) => {
      const next =
        current === undefined ? this.freshItem(featureName, isEnabled) : this.parse(current.raw).withEnabled(isEnabled);
      // The state is a few bytes: a flag over the limit (written by another program) can still be switched.
      return { json: serializeItem(next), result: undefined };
    });
  }

  async delete(featureName: string): Promise<void> {
    this.checkName(featureName);
    await this.deleteRaw(featureName);
  }

  async list(options: ListOptions = {}): Promise<FeatureFlagStoreItem[]> {
    validatePage(options.limit, options.offset);
    const rows = await this.listRaw(options.limit, options.offset ?? 0);
    const items: FeatureFlagStoreItem[] = [];
    const slice = new Slice();
    for (const [i, [name, raw]] of rows.entries()) {
      // Parsing thousands of flags takes long: other work gets a turn every few ms.
      if ((i & 15) === 15 && slice.spent()) await slice.next();
      try {
        items.push(this.parse(raw));
      } catch (error) {
        if (!(error instanceof InvalidItemError)) throw error;
        this.logger?.warn({ flag: name, err: error }, 'skipping a stored flag that does not parse');
      }
    }
    return items;
  }

  async setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    await this.update(featureName, (current) => current.withMeta(meta));
  }

  async update(featureName: string, change: ItemChange, options?: UpdateOptions): Promise<FeatureFlagStoreItem> {
    this.checkName(featureName);
    return this.updateRaw(
      featureName,
      (current) => {
        if (current === undefined) throw new FlagDoesNotExistError(featureName);
        const item = this.parse(current.raw);
        const next = change(item, textRevision(current.raw));
        if (next === item) return { result: item };
        const json = serializeItem(next);
        if (next.meta !== item.meta) checkFlagSize(next, this.maxFlagBytes, json);
        rememberRevision(next, () => textRevision(json));
        return { json, result: next };
      },
      options,
    );
  }

  async close(): Promise<void> {}

  private parse(raw: string | Buffer): FeatureFlagStoreItem {
    const item = deserializeItem(raw, this.codec);
    rememberRevision(item, () => textRevision(raw));
    return item;
  }

  private freshItem(featureName: string, isEnabled: boolean, options: CreateOptions = {}): FeatureFlagStoreItem {
    return new FeatureFlagStoreItem(
      featureName,
      isEnabled,
      new FeatureFlagStoreMeta({ createdDate: Math.floor(this.clock()), clientData: options.clientData }),
    );
  }
}

function sameText(a: string | Buffer, b: string | Buffer): boolean {
  return typeof a === 'string' && typeof b === 'string' ? a === b : Buffer.from(a).equals(Buffer.from(b));
}
