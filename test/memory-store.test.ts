import { MemoryFeatureFlagStore } from '../client';
import { describeStoreConformance } from '../client/testing';
import { HOLDS_PARSED_ITEMS, NO_BACKEND, writeParsed } from './helpers/store-capabilities';

describeStoreConformance('MemoryFeatureFlagStore', {
  makeStore: () => new MemoryFeatureFlagStore(),
  writeRaw: (store, name, json) => writeParsed(store, name, json),
  notApplicable: { ...HOLDS_PARSED_ITEMS, ...NO_BACKEND },
});
