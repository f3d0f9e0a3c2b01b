import { FeatureFlagStoreMeta, FeatureFlagStoreMetaJSON } from './meta';

/** The Python library's stored form of a flag (`FeatureFlagStoreItem.to_dict()`). */
export interface FeatureFlagStoreItemJSON {
  feature_name: string;
  is_enabled: boolean;
  meta: FeatureFlagStoreMetaJSON;
}

/** A flag as a store holds it: name, on/off, meta. Immutable; parsed once when read from a store. */
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

  /** A copy with new meta. */
  withMeta(meta: FeatureFlagStoreMeta): FeatureFlagStoreItem {
    return new FeatureFlagStoreItem(this.featureName, this.isEnabled, meta);
  }

  toJSON(): FeatureFlagStoreItemJSON {
    return { feature_name: this.featureName, is_enabled: this.isEnabled, meta: this.meta.toJSON() };
  }
}
