// The package's public surface, listed name by name: every export here is a promise to users
// (test/package-surface.test.ts checks the list). Internals stay importable from their own modules
// for the tests, but not from the package.

// The client, its flags, explain, decorators (the Python library's FeatureFlagClient and FeatureFlag).
export {
  FeatureFlagClient,
  type CreateFlagOptions,
  type FeatureFlagClientOptions,
  type IsEnabledOptions,
} from './client';
export { FeatureFlag } from './feature-flag';
export type { Explanation } from './explanation';
export type { ConditionTrace, EvaluationReason } from '../shared/evaluation';
export * as decorators from './decorators';
export type { IsEnabledDecoratorOptions } from './decorators';
export type { FlipperLogger } from './logger';

// Errors (the Python library's exceptions, plus the store failures it leaves untyped).
export {
  ConnectionError,
  FlagDoesNotExistError,
  FlipperError,
  InvalidArgumentError,
  InvalidBucketerError,
  InvalidConditionError,
  InvalidFlagNameError,
  InvalidItemError,
  InvalidPercentageError,
  StoreError,
  TimeoutError,
  type FlipperErrorCode,
} from '../shared/errors';

// Values a flag holds.
export type { Checks, ClientData, JsonObject, JsonValue } from '../shared/json';
export type { Clock, Random } from '../shared/clock';
export {
  Check,
  Condition,
  type CheckJSON,
  type ConditionInput,
  type ConditionJSON,
  type OperatorSymbol,
} from '../shared/conditions';
export {
  ConsistentHashPercentageBucketer,
  LinearRampPercentage,
  NoOpBucketer,
  Percentage,
  PercentageBucketer,
  bucketerFromJSON,
  percentageFromJSON,
  type AbstractPercentage,
  type Bucketer,
  type BucketerFactoryOptions,
  type BucketerJSON,
  type BucketerTrace,
  type ConsistentHashPercentageBucketerOptions,
  type FactoryOptions,
  type FixedPercentageJSON,
  type LinearRampPercentageJSON,
  type LinearRampPercentageOptions,
  type PercentageBucketerOptions,
  type PercentageJSON,
} from '../shared/bucketing';
export {
  FeatureFlagStoreItem,
  FeatureFlagStoreMeta,
  // The Python library's FeatureFlagStoreItem.serialize/deserialize: the stored bytes, for tools
  // and third-party stores that read or write Python's layout themselves.
  deserializeItem,
  serializeItem,
  type CodecOptions,
  type FeatureFlagStoreItemJSON,
  type FeatureFlagStoreMetaInit,
  type FeatureFlagStoreMetaJSON,
} from '../shared/model';

// Events.
export {
  EventType,
  FlipperEventEmitter,
  FlipperEventSubscriber,
  type BucketerEventArgs,
  type ClientDataEventArgs,
  type ConditionEventArgs,
  type ConditionsEventArgs,
  type CreateEventArgs,
  type EventArgsMap,
  type FlipperEventListener,
  type IEventEmitter,
  type NoEventArgs,
} from './events';

// Stores: the contract, the backends, the wrappers.
export type { CreateOptions, FeatureFlagStore, ListOptions } from './stores/feature-flag-store';
export { SerializedFeatureFlagStore, type SerializedStoreOptions } from './stores/serialized-store';
export { MemoryFeatureFlagStore, type MemoryFeatureFlagStoreOptions } from './stores/memory-store';
export { SQLiteFeatureFlagStore, type SQLiteFeatureFlagStoreOptions } from './stores/sqlite-store';
export { RedisFeatureFlagStore, type RedisFeatureFlagStoreOptions } from './stores/redis-store';
export {
  PostgreSQLFeatureFlagStore,
  type PostgreSQLFeatureFlagStoreOptions,
  type PostgreSQLQueryable,
} from './stores/postgres-store';
export { S3FeatureFlagStore, type S3ClientLike, type S3FeatureFlagStoreOptions } from './stores/s3-store';
export {
  ConsulFeatureFlagStore,
  type ConsulClientLike,
  type ConsulFeatureFlagStoreOptions,
  type ConsulKvCallOptions,
} from './stores/consul-store';
export {
  ThriftRPCFeatureFlagStore,
  type ThriftRPCConnectionOptions,
  type ThriftRPCStoreOptions,
} from './stores/thrift-rpc-store';
export { CachedFeatureFlagStore, type CachedFeatureFlagStoreOptions } from './stores/wrappers/cached-store';
export {
  ReplicatedFeatureFlagStore,
  type ReplicatedFeatureFlagStoreOptions,
  type ReplicatedOperation,
  type ReplicatedStoreEvents,
  type ReplicationErrorEvent,
  type ReplicationMode,
} from './stores/wrappers/replicated-store';
