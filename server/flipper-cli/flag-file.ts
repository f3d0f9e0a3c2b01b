/**
 * The file `export` writes and `import` reads: a JSON list of flags, each exactly as stored (the
 * Python library's layout, every number as it was written: `1.0`, `NaN`, ids beyond 2^53), one
 * flag per line so that a file kept in git shows a change as a one-line diff.
 */
import { describeChange, InvalidItemError, type FeatureFlagStoreItem } from '../../shared';
import { serializeItem } from '../../shared/model/codec';
import { itemFromStored } from '../../shared/model/stored-codec';
import { parseStoredJson, type StoredJson } from '../../shared/stored-json';
import { UsageError } from './errors';

export function writeFlagFile(items: readonly FeatureFlagStoreItem[]): string {
  if (items.length === 0) return '[]\n';
  return `[\n${items.map(serializeItem).join(',\n')}\n]\n`;
}

/** Parses an exported file; a malformed flag is refused with its position, before anything is written. */
export function readFlagFile(text: string, file: string): FeatureFlagStoreItem[] {
  let tree: StoredJson;
  try {
    tree = parseStoredJson(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(tree)) throw new UsageError(`${file} must hold a JSON list of flags (as flipper export writes)`);
  const seen = new Set<string>();
  return tree.map((entry, i) => {
    let item: FeatureFlagStoreItem;
    try {
      item = itemFromStored(entry);
    } catch (error) {
      if (error instanceof InvalidItemError) throw new UsageError(`${file}: flag #${i + 1}: ${error.message}`);
      throw error;
    }
    if (seen.has(item.featureName)) {
      throw new UsageError(`${file}: flag ${JSON.stringify(item.featureName)} appears twice`);
    }
    seen.add(item.featureName);
    return item;
  });
}

/**
 * What writing `next` over `current` changes, as the history's readable lines (`state: off → on`,
 * `client_data.owner: "web" → "payments"`); `['new flag']` when there is none yet, empty when the
 * stored text is the same. Same values in other text (`1` and `1.0`) is a change: the copy is exact.
 */
export function flagChanges(current: FeatureFlagStoreItem | undefined, next: FeatureFlagStoreItem): string[] {
  if (current === undefined) return ['new flag'];
  const [before, after] = [serializeItem(current), serializeItem(next)];
  if (before === after) return [];
  return describeChange({ before, after }).map((line) => line.text);
}
