import type { FeatureFlagStoreItem } from './item';
import { revisionOf, textRevision } from './revision';
import { itemToStored } from './stored-codec';
import { writeStoredJson } from '../stored-json';

/**
 * The revision of an item: the store's when it gave one, else a digest of the item as the Python
 * library stores it. Two items with the same revision are the same flag: a change feed compares
 * these to send (and apply) only what changed.
 */
export function itemRevision(item: FeatureFlagStoreItem): string {
  return revisionOf(item) ?? textRevision(writeStoredJson(itemToStored(item)));
}
