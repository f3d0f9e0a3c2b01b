import { bucketerFromJSON, BucketerFactoryOptions } from '../bucketing/bucketer-factory';
import { Condition } from '../conditions/condition';
import { FlipperError, InvalidItemError } from '../errors';
import { isJsonObject } from '../json';
import { FeatureFlagStoreItem } from './item';
import { FeatureFlagStoreMeta } from './meta';

/** Options for rebuilding items: the clock and randomness their bucketers use. */
export type CodecOptions = BucketerFactoryOptions;

/** The stored JSON text of an item, readable by the Python library. */
export function serializeItem(item: FeatureFlagStoreItem): string {
  return JSON.stringify(item);
}

/** Parses stored JSON text into an item; anything malformed throws `InvalidItemError` naming it. */
export function deserializeItem(text: string | Buffer, options?: CodecOptions): FeatureFlagStoreItem {
  let json: unknown;
  try {
    json = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
  } catch (error) {
    throw new InvalidItemError(`Stored flag is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return itemFromJSON(json, options);
}

/** Rebuilds an item from its parsed stored form. */
export function itemFromJSON(json: unknown, options?: CodecOptions): FeatureFlagStoreItem {
  if (!isJsonObject(json)) throw new InvalidItemError('Stored flag must be a JSON object');
  const name = json.feature_name;
  if (typeof name !== 'string') throw new InvalidItemError('Stored flag has no string "feature_name"');
  const enabled = json.is_enabled ?? false;
  if (typeof enabled !== 'boolean') {
    throw new InvalidItemError(`Stored flag ${JSON.stringify(name)}: "is_enabled" must be a boolean`);
  }
  try {
    return new FeatureFlagStoreItem(name, enabled, metaFromJSON(json.meta ?? {}, options));
  } catch (error) {
    if (error instanceof InvalidItemError) throw error;
    const reason = error instanceof FlipperError ? error.message : String(error);
    throw new InvalidItemError(`Stored flag ${JSON.stringify(name)} is malformed: ${reason}`, { cause: error });
  }
}

/** Rebuilds meta from its stored form (`FeatureFlagStoreMeta.to_dict()`); absent fields take defaults. */
export function metaFromJSON(json: unknown, options?: CodecOptions): FeatureFlagStoreMeta {
  if (!isJsonObject(json)) throw new InvalidItemError('"meta" must be a JSON object');
  const created = json.created_date ?? 0;
  if (typeof created !== 'number' || !Number.isFinite(created)) {
    throw new InvalidItemError('"meta.created_date" must be a number of Unix seconds');
  }
  const clientData = json.client_data ?? {};
  if (!isJsonObject(clientData)) throw new InvalidItemError('"meta.client_data" must be a JSON object');
  const conditions = json.conditions ?? [];
  if (!Array.isArray(conditions)) throw new InvalidItemError('"meta.conditions" must be a list');
  return new FeatureFlagStoreMeta({
    createdDate: created,
    clientData,
    conditions: conditions.map((c) => Condition.fromJSON(c)),
    bucketer: json.bucketer == null ? undefined : bucketerFromJSON(json.bucketer, options),
  });
}
