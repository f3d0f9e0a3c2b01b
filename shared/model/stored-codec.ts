/**
 * Items to and from lossless stored trees (see `codec.ts`): each model object read from a tree
 * remembers it (`stored-forms.ts`), and writing encodes anew only what changed. Used by the codec
 * and the Thrift mapping; not part of the package's exports.
 */
import { bucketerFromJSON, BucketerFactoryOptions } from '../bucketing/bucketer-factory';
import type { Bucketer } from '../bucketing/bucketer';
import { Check } from '../conditions/check';
import { Condition } from '../conditions/condition';
import { FlipperError, InvalidConditionError, InvalidItemError } from '../errors';
import { isJsonObject, type ClientData } from '../json';
import { showJson } from '../json-text';
import { getOwn, setOwn } from '../own-keys';
import { decodeStored, encodeJsonValue, isStoredObject, type StoredJson, type StoredObject } from '../stored-json';
import { FeatureFlagStoreItem } from './item';
import { FeatureFlagStoreMeta } from './meta';
import { rememberStoredForm, storedFormOf } from './stored-forms';

/** Options for rebuilding items: the clock and randomness their bucketers use. */
type CodecOptions = BucketerFactoryOptions;

/** Rebuilds an item from a lossless stored tree. */
export function itemFromStored(tree: StoredJson, options?: CodecOptions): FeatureFlagStoreItem {
  if (!isStoredObject(tree)) throw new InvalidItemError('Stored flag must be a JSON object');
  const name = getOwn(tree, 'feature_name');
  if (typeof name !== 'string') throw new InvalidItemError('Stored flag has no string "feature_name"');
  const enabled = getOwn(tree, 'is_enabled');
  try {
    // Python's `if self._is_enabled is False`: everything except false is on (null, 0, 1...).
    const item = new FeatureFlagStoreItem(
      name,
      enabled !== undefined && enabled !== false,
      metaFromStored(getOwn(tree, 'meta') ?? {}, options),
    );
    if (enabled !== undefined && typeof enabled !== 'boolean') rememberStoredForm(item, enabled);
    return item;
  } catch (error) {
    if (error instanceof InvalidItemError) throw error;
    const reason = error instanceof FlipperError ? error.message : String(error);
    throw new InvalidItemError(`Stored flag ${JSON.stringify(name)} is malformed: ${reason}`, { cause: error });
  }
}

/** Rebuilds meta from a lossless stored tree; absent fields take defaults. */
export function metaFromStored(tree: StoredJson, options?: CodecOptions): FeatureFlagStoreMeta {
  if (!isStoredObject(tree)) throw new InvalidItemError('"meta" must be a JSON object');
  const storedDate = getOwn(tree, 'created_date');
  const created = storedDate === undefined ? 0 : decodeStored(storedDate);
  if (typeof created !== 'number' && typeof created !== 'bigint') {
    throw new InvalidItemError('"meta.created_date" must be a number of Unix seconds');
  }
  const conditions = getOwn(tree, 'conditions') ?? [];
  if (!Array.isArray(conditions)) throw new InvalidItemError('"meta.conditions" must be a list');
  const storedBucketer = getOwn(tree, 'bucketer');
  const meta = new FeatureFlagStoreMeta({
    createdDate: Number(created),
    clientData: clientDataFromStored(getOwn(tree, 'client_data') ?? {}, InvalidItemError, '"meta.client_data"'),
    conditions: conditions.map(conditionFromStored),
    bucketer: storedBucketer == null ? undefined : bucketerFromStored(storedBucketer, options),
  });
  if (storedDate !== undefined) rememberStoredForm(meta, storedDate);
  return meta;
}

/** Client data from its stored tree: plain values that remember the tree (for exact write-back). */
export function clientDataFromStored(
  tree: StoredJson,
  ErrorType: new (message: string) => FlipperError,
  what: string,
): ClientData {
  const clientData = decodeStored(tree);
  if (!isJsonObject(clientData)) throw new ErrorType(`${what} must be a JSON object`);
  rememberStoredForm(clientData, tree);
  return clientData;
}

/** A condition from its stored tree (`{ variable: [check, ...] }`), each check remembering its value's text. */
export function conditionFromStored(tree: StoredJson): Condition {
  if (!isStoredObject(tree)) throw new InvalidConditionError(`A condition must be an object, got ${showStored(tree)}`);
  const byVariable = new Map<string, Check[]>();
  for (const key of Object.keys(tree)) {
    const list = tree[key];
    if (!Array.isArray(list))
      throw new InvalidConditionError(`Condition checks for ${JSON.stringify(key)} must be a list`);
    for (const raw of list) {
      const check = checkFromStored(raw);
      const group = byVariable.get(check.variable);
      if (group) group.push(check);
      else byVariable.set(check.variable, [check]);
    }
  }
  return Condition.fromChecks(byVariable);
}

function checkFromStored(tree: StoredJson): Check {
  if (!isStoredObject(tree))
    throw new InvalidConditionError(`A condition check must be an object, got ${showStored(tree)}`);
  const value = getOwn(tree, 'value') ?? null;
  const check = Check.fromJSON({
    variable: decodeStored(getOwn(tree, 'variable') ?? null),
    value: decodeStored(value),
    operator: decodeStored(getOwn(tree, 'operator') ?? null),
  });
  return remembered(check, value);
}

/** Pairs a model object with the stored tree it was read from, and returns it. */
export function remembered<T extends object>(owner: T, tree: StoredJson): T {
  rememberStoredForm(owner, tree);
  return owner;
}

/** A bucketer from its stored tree, remembering the tree. */
export function bucketerFromStored(tree: StoredJson, options?: BucketerFactoryOptions): Bucketer {
  return remembered(bucketerFromJSON(decodeStored(tree), options), tree);
}

/** The lossless tree of an item, every unchanged value as it was read. */
export function itemToStored(item: FeatureFlagStoreItem): StoredObject {
  const out: StoredObject = {};
  out.feature_name = item.featureName;
  const storedEnabled = storedFormOf(item);
  // A stored is_enabled that is not a boolean (Python's null) stays as it was; `??` would drop a null.
  out.is_enabled = storedEnabled !== undefined ? storedEnabled : item.isEnabled;
  out.meta = metaToStored(item.meta);
  return out;
}

/** The lossless tree of meta, in Python's key order. */
export function metaToStored(meta: FeatureFlagStoreMeta): StoredObject {
  const out: StoredObject = {};
  out.client_data = clientDataToStored(meta.clientData);
  out.created_date = encodeJsonValue(meta.createdDate, storedFormOf(meta));
  out.conditions = meta.conditions.map(conditionToStored);
  out.bucketer = bucketerToStored(meta.bucketer);
  return out;
}

/** Client data as a tree: what is unchanged since it was read keeps its text. */
export function clientDataToStored(clientData: ClientData): StoredJson {
  return encodeJsonValue(clientData, storedFormOf(clientData));
}

export function conditionToStored(condition: Condition): StoredObject {
  const out: StoredObject = {};
  for (const variable of condition.variables) {
    const checks: StoredJson[] = condition.checksFor(variable)!.map((check) => {
      const json: StoredObject = {};
      json.variable = check.variable;
      json.value = checkValueToStored(check);
      json.operator = check.operator;
      return json;
    });
    setOwn(out, variable, checks);
  }
  return out;
}

export function checkValueToStored(check: Check): StoredJson {
  const stored = storedFormOf(check);
  return stored !== undefined ? stored : encodeJsonValue(check.value);
}

export function bucketerToStored(bucketer: Bucketer): StoredJson {
  return storedFormOf(bucketer) ?? encodeJsonValue(bucketer.toJSON());
}

function showStored(tree: StoredJson): string {
  return showJson(decodeStored(tree));
}
