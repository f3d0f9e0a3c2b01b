import { FeatureFlagStoreItem, StoreError, deserializeItem } from '../../shared';
import { MemoryFeatureFlagStore } from '../../client';

/** A memory store whose reads can be made to fail or to return a stored item that does not parse. */
export class BrokenStore extends MemoryFeatureFlagStore {
  failReads = false;
  rawOverrides = new Map<string, string>();

  /** Never answers from memory, so every read goes through the failing `get`. */
  override peek(): undefined {
    return undefined;
  }

  override async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    if (this.failReads) throw new StoreError('backend down');
    const raw = this.rawOverrides.get(featureName);
    if (raw !== undefined) return deserializeItem(raw);
    return super.get(featureName);
  }
}

// The logger the conformance suite ships, which records what it is given.
export { recordingLogger } from '../../client/testing/recording-logger';
