import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FeatureFlagStoreItem, InvalidArgumentError, type CodecOptions } from '../../shared';
import { getOwn, setOwn } from '../../shared/own-keys';
import { itemFromStored, itemToStored } from '../../shared/model/stored-codec';
import {
  encodeJsonValue,
  isStoredObject,
  parseStoredJson,
  StoredNumber,
  writeStoredJson,
  type StoredJson,
  type StoredObject,
} from '../../shared/stored-json';
import type { FeedPosition } from '../../shared/thrift/feed-mapping';

/** The `format` of a snapshot file: anything else is a file of another program, and ignored. */
export const SNAPSHOT_FORMAT = 'flipper-replica-snapshot';
const FORMAT_VERSION = 1;

/**
 * What a replica can start from without the server: flags as the Python library stores them, and,
 * for a snapshot the replica wrote, the version they were current at.
 */
export interface LoadedFlags {
  items: FeatureFlagStoreItem[];
  position?: FeedPosition;
}

/**
 * Flags an application ships to start with (`bootstrap`): a snapshot file's content, an array of
 * stored flags (`{ feature_name, is_enabled, meta }`, as the Python library writes them), or an
 * object of name → stored flag.
 */
export type BootstrapData =
  { flags: ReadonlyArray<object> } | ReadonlyArray<object> | { readonly [featureName: string]: object };

/** The text of a snapshot file: every flag in the Python library's JSON, and the position. */
export function snapshotText(position: FeedPosition, items: Iterable<FeatureFlagStoreItem>): string {
  const out: StoredObject = {};
  out.format = SNAPSHOT_FORMAT;
  out.format_version = new StoredNumber(String(FORMAT_VERSION));
  out.store_id = position.storeId;
  out.version = new StoredNumber(String(position.version));
  out.flags = [...items].map(itemToStored);
  return writeStoredJson(out) + '\n';
}

/** Parses a snapshot file's text; throws `InvalidArgumentError` saying what is wrong. */
export function parseSnapshotText(text: string, options?: CodecOptions): LoadedFlags {
  let tree: StoredJson;
  try {
    tree = parseStoredJson(text);
  } catch (error) {
    throw new InvalidArgumentError(`not JSON (${(error as Error).message}); truncated or not a snapshot`);
  }
  if (!isStoredObject(tree) || getOwn(tree, 'format') !== SNAPSHOT_FORMAT) {
    throw new InvalidArgumentError(`not a ${SNAPSHOT_FORMAT} file (another program's file?)`);
  }
  const formatVersion = getOwn(tree, 'format_version');
  if (!(formatVersion instanceof StoredNumber) || formatVersion.text !== String(FORMAT_VERSION)) {
    throw new InvalidArgumentError(`format_version ${describe(formatVersion)} is not ${FORMAT_VERSION}`);
  }
  const storeId = getOwn(tree, 'store_id');
  const version = getOwn(tree, 'version');
  const position =
    typeof storeId === 'string' && version instanceof StoredNumber && /^\d+$/.test(version.text)
      ? { storeId, version: Number(version.text) }
      : undefined;
  return { items: flagsFrom(getOwn(tree, 'flags'), options), position };
}

/** Flags from bootstrap data (see `BootstrapData`); throws `InvalidArgumentError` on anything else. */
export function bootstrapFlags(data: BootstrapData | string, options?: CodecOptions): LoadedFlags {
  const tree = typeof data === 'string' ? parseBootstrapText(data) : encodeJsonValue(data);
  if (isStoredObject(tree) && getOwn(tree, 'format') === SNAPSHOT_FORMAT) {
    return { items: parseSnapshotText(writeStoredJson(tree), options).items };
  }
  if (isStoredObject(tree) && Array.isArray(getOwn(tree, 'flags')))
    return { items: flagsFrom(getOwn(tree, 'flags'), options) };
  if (Array.isArray(tree)) return { items: flagsFrom(tree, options) };
  if (!isStoredObject(tree)) throw new InvalidArgumentError('bootstrap must be an object or an array of flags');
  const named: StoredJson[] = Object.keys(tree).map((name) => {
    const flag = tree[name];
    if (!isStoredObject(flag))
      throw new InvalidArgumentError(`bootstrap flag ${JSON.stringify(name)} is not an object`);
    const withName: StoredObject = {};
    for (const key of Object.keys(flag)) setOwn(withName, key, flag[key]);
    withName.feature_name = name;
    return withName;
  });
  return { items: flagsFrom(named, options) };
}

function parseBootstrapText(text: string): StoredJson {
  try {
    return parseStoredJson(text);
  } catch (error) {
    throw new InvalidArgumentError(`bootstrap is not JSON: ${(error as Error).message}`);
  }
}

function flagsFrom(list: StoredJson | undefined, options?: CodecOptions): FeatureFlagStoreItem[] {
  if (!Array.isArray(list)) throw new InvalidArgumentError('"flags" must be an array');
  return list.map((flag, i) => {
    try {
      return itemFromStored(flag, options);
    } catch (error) {
      throw new InvalidArgumentError(`flag ${i} does not parse: ${(error as Error).message}`);
    }
  });
}

function describe(value: StoredJson | undefined): string {
  return value instanceof StoredNumber ? value.text : JSON.stringify(value ?? null);
}

/**
 * Writes `text` to `path` so that a reader (or a crash) sees the old file or the new one, never a
 * mix: a temp file beside it, fsync'd, renamed over, then the folder fsync'd so the rename is kept.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const folder = dirname(path);
  const temp = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const file = await fs.open(temp, 'w', 0o644);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } catch (error) {
    await file.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  await file.close();
  try {
    await fs.rename(temp, path);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  // The rename lives in the folder: sync it too (not possible on every platform; best effort).
  const dir = await fs.open(folder, 'r').catch(() => undefined);
  if (dir !== undefined)
    await dir
      .sync()
      .catch(() => undefined)
      .finally(() => dir.close().catch(() => undefined));
}
