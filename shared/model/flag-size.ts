import { InvalidArgumentError } from '../errors';
import { DEFAULT_MAX_FLAG_BYTES } from '../limits';
import type { FeatureFlagStoreItem } from './item';
import { serializeItem } from './codec';

/**
 * Refuses a flag whose stored JSON (`json`, or the item's when not given) is over `maxBytes`
 * bytes: an `InvalidArgumentError` naming the flag, its size and the limit. Every write of a store
 * of this package, and of the server, goes through it; reads never do (a flag written by another
 * program is served whatever its size).
 */
export function checkFlagSize(
  item: FeatureFlagStoreItem,
  maxBytes: number = DEFAULT_MAX_FLAG_BYTES,
  json: string = serializeItem(item),
): void {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most flags are judged without counting.
  if (json.length * 3 <= maxBytes) return;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= maxBytes) return;
  throw new InvalidArgumentError(
    `Feature flag ${JSON.stringify(item.featureName.slice(0, 300))} would be ${bytes} bytes as stored, ` +
      `over the ${maxBytes}-byte flag size limit (maxFlagBytes; the server's --max-flag-bytes)`,
  );
}

/** Checks a `maxFlagBytes` option: a positive integer, the default when absent. */
export function maxFlagBytesOption(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_FLAG_BYTES;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`maxFlagBytes must be a positive integer, got ${String(value)}`);
  }
  return value;
}
