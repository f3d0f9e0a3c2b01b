import { FeatureFlagStoreMeta, FeatureFlagStoreMetaJSON } from './meta';
import { rememberStoredForm, storedFormOf } from './stored-forms';

/** The Python library's stored form of a flag (`FeatureFlagStoreItem.to_dict()`). */
export interface FeatureFlagStoreItemJSON {
  feature_name: string;
  is_enabled: boolean;
  meta: FeatureFlagStoreMetaJSON;
}

/**
 * A flag as a store holds it: name, on/off, meta. Immutable; parsed once when read from a store.
 * `isEnabled` is Python's reading of the stored value: everything except `false` is on.
 */
export class FeatureFlagStoreItem {
  constructor(
    readonly featureName: string,
    readonly isEnabled: boolean,
    readonly meta: FeatureFlagStoreMeta,
  ) {}

  /** A copy with a new on/off state. */
  withEnabled(isEnabled: boolean): FeatureFlagStoreItem {
    return new FeatureFlagStoreItem(this.featureName, isEnabled, this.meta);
  }

  /** A copy with new meta; a stored `is_enabled` that is not a boolean (Python's `null`) is kept as stored. */
  withMeta(meta: FeatureFlagStoreMeta): FeatureFlagStoreItem {
    const next = new FeatureFlagStoreItem(this.featureName, this.isEnabled, meta);
    const storedEnabled = storedFormOf(this);
    if (storedEnabled !== undefined) rememberStoredForm(next, storedEnabled);
    return next;
  }

  toJSON(): FeatureFlagStoreItemJSON {
    return { feature_name: this.featureName, is_enabled: this.isEnabled, meta: this.meta.toJSON() };
  }
}
