/**
 * The one codec for stored items, used by every store, the server and the Thrift mapping. It reads
 * Python's JSON dialect (`NaN`, `Infinity`, integers of any size) without loss, and writes an item
 * back so that every value a change did not touch keeps its JSON text byte for byte (`1.0`,
 * `1e+20`, `9223372036854775807`, `NaN`, a `null` `is_enabled`): each model object remembers the
 * stored tree it was read from (`stored-forms.ts`, `stored-codec.ts`), and only what changed is
 * encoded anew.
 */
import type { BucketerFactoryOptions } from '../bucketing/bucketer-factory';
import { FlipperError, InvalidItemError } from '../errors';
import { encodeJsonValue, parseStoredJson, writeStoredJson, type StoredJson } from '../stored-json';
import type { FeatureFlagStoreItem } from './item';
import type { FeatureFlagStoreMeta } from './meta';
import { itemFromStored, itemToStored, metaFromStored } from './stored-codec';

/** Options for rebuilding items: the clock and randomness their bucketers use. */
export type CodecOptions = BucketerFactoryOptions;

/** The stored JSON text of an item, readable by the Python library (laid out as its `json.dumps`). */
export function serializeItem(item: FeatureFlagStoreItem): string {
  return writeStoredJson(itemToStored(item));
}

/** Parses stored JSON text (Python's dialect) into an item; anything malformed throws `InvalidItemError` naming it. */
export function deserializeItem(text: string | Buffer, options?: CodecOptions): FeatureFlagStoreItem {
  let tree: StoredJson;
  try {
    tree = parseStoredJson(typeof text === 'string' ? text : text.toString('utf8'));
  } catch (error) {
    throw new InvalidItemError(`Stored flag is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return itemFromStored(tree, options);
}

/** Rebuilds an item from its parsed stored form (plain values, as `JSON.parse` gives them). */
export function itemFromJSON(json: unknown, options?: CodecOptions): FeatureFlagStoreItem {
  return itemFromStored(encodeJson(json, InvalidItemError), options);
}

/** Rebuilds meta from its stored form (`FeatureFlagStoreMeta.to_dict()`); absent fields take defaults. */
export function metaFromJSON(json: unknown, options?: CodecOptions): FeatureFlagStoreMeta {
  return metaFromStored(encodeJson(json, InvalidItemError), options);
}

function encodeJson(json: unknown, ErrorType: new (message: string) => FlipperError): StoredJson {
  try {
    return encodeJsonValue(json);
  } catch (error) {
    throw new ErrorType(`Not a JSON value: ${(error as Error).message}`);
  }
}
