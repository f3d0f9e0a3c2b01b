/**
 * The file `export` writes and `import` reads: a JSON list of flags, each exactly as stored (the
 * Python library's layout, every number as it was written: `1.0`, `NaN`, ids beyond 2^53), one
 * flag per line so that a file kept in git shows a change as a one-line diff.
 */
import { InvalidItemError, type FeatureFlagStoreItem } from '../../shared';
import { serializeItem } from '../../shared/model/codec';
import { itemFromStored } from '../../shared/model/stored-codec';
import { parseStoredJson, type StoredJson } from '../../shared/stored-json';
import { UsageError } from './errors';
import { describeBucketer, describeCondition } from './output';
import { stringifyJson } from '../../shared/stringify-json';

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

/** What importing `next` over `current` changes, for people: empty when nothing does. */
export function describeChange(current: FeatureFlagStoreItem | undefined, next: FeatureFlagStoreItem): string[] {
  if (current === undefined) return ['new flag'];
  if (serializeItem(current) === serializeItem(next)) return [];
  const changes: string[] = [];
  if (current.isEnabled !== next.isEnabled)
    changes.push(`state ${onOff(current.isEnabled)} -> ${onOff(next.isEnabled)}`);
  const was = current.meta;
  const now = next.meta;
  const conditions = (c: typeof was) => c.conditions.map(describeCondition).join(' | ') || '(none)';
  if (conditions(was) !== conditions(now)) changes.push(`conditions ${conditions(was)} -> ${conditions(now)}`);
  if (stringifyJson(was.bucketer) !== stringifyJson(now.bucketer)) {
    changes.push(`bucketer ${describeBucketer(was.bucketer)} -> ${describeBucketer(now.bucketer)}`);
  }
  if (stringifyJson(was.clientData) !== stringifyJson(now.clientData)) {
    changes.push(`client data ${stringifyJson(was.clientData)} -> ${stringifyJson(now.clientData)}`);
  }
  if (was.createdDate !== now.createdDate) changes.push(`created date ${was.createdDate} -> ${now.createdDate}`);
  // Same values, different stored text (`1` and `1.0`): still written, so that the copy is exact.
  if (changes.length === 0) changes.push('stored JSON text');
  return changes;
}

function onOff(enabled: boolean): string {
  return enabled ? 'on' : 'off';
}
