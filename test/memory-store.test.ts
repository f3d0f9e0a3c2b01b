import { MemoryFeatureFlagStore } from '../client';
import { describeStoreConformance } from '../client/testing';
import { PARSED_IN_PROCESS } from './helpers/store-capabilities';

describeStoreConformance('MemoryFeatureFlagStore', {
  makeStore: () => new MemoryFeatureFlagStore(),
  ...PARSED_IN_PROCESS,
});
