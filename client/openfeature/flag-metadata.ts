import type { FlagMetadata } from '@openfeature/server-sdk';
import type { FeatureFlagStoreMeta } from '../../shared';
import { stringifyJson } from '../../shared/stringify-json';
import { setOwn } from '../../shared/own-keys';

/** Built once per stored meta (meta is immutable): an evaluation of an unchanged flag reuses it. */
const built = new WeakMap<FeatureFlagStoreMeta, FlagMetadata>();

/**
 * A flag's client data as OpenFeature flag metadata, which holds only strings, numbers and
 * booleans: those stay as they are; objects, lists, `null` and integers beyond 2^53 become JSON text.
 */
export function flagMetadataOf(meta: FeatureFlagStoreMeta): FlagMetadata {
  let metadata = built.get(meta);
  if (metadata === undefined) {
    const out: Record<string, string | number | boolean> = {};
    const data = meta.clientData;
    for (const key of Object.keys(data)) {
      const value = data[key];
      const kind = typeof value;
      setOwn(
        out,
        key,
        kind === 'string' || kind === 'number' || kind === 'boolean'
          ? (value as string | number | boolean)
          : stringifyJson(value),
      );
    }
    metadata = Object.freeze(out);
    built.set(meta, metadata);
  }
  return metadata;
}
