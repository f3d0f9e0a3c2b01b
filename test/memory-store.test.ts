import { MemoryFeatureFlagStore } from '../client';
import { describeStoreConformance } from './helpers/store-conformance';

// The memory store holds parsed items, so Python's JSON is written through the codec.
import { deserializeItem } from '../shared';

describeStoreConformance('MemoryFeatureFlagStore', {
  makeStore: () => new MemoryFeatureFlagStore(),
  writeRaw: async (store, name, json) => {
    const item = deserializeItem(json);
    await store.create(name, { isEnabled: item.isEnabled, clientData: item.meta.clientData as never });
    await store.setMeta(name, item.meta);
  },
});
