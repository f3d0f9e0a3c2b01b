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
export type { FlipperLogger } from '../shared/logger';

// Errors: FlipperError is the base of all; FlagDoesNotExistError and the Invalid*Error ones are the
// Python library's exceptions.
export { FlipperError, FlagDoesNotExistError, type FlipperErrorCode } from '../shared/errors';
export {
  InvalidFlagNameError,
  InvalidConditionError,
  InvalidBucketerError,
  InvalidPercentageError,
  InvalidItemError,
  InvalidArgumentError,
} from '../shared/errors';
// A backend failing, which the Python library leaves untyped.
export { StoreError, TimeoutError, ConnectionError, MessageTooLargeError } from '../shared/errors';
// Concurrent writers: a conditional write that kept losing, and a write whose answer was lost.
export { ConflictError, OutcomeUnknownError } from '../shared/errors';
// isEnabledSync on a store that cannot answer without I/O.
export { SyncEvaluationUnsupportedError } from '../shared/errors';
// The flag server refused the call for who made it (its --authz policy, or a --read-only listener).
export { PermissionDeniedError } from '../shared/errors';
// client.history / client.rollback on a store without a flag server's history.
export { HistoryUnavailableError } from '../shared/errors';

// Who makes a write and why, and what a flag server's history records (client.history, client.rollback).
export type { HistoryEntry, HistoryOptions, RollbackOptions, WriteContext } from '../shared/model/history';
// A history entry as readable lines (which state, client data keys, conditions or bucketer changed).
export {
  describeChange,
  describeBucketer,
  describeCondition,
  type ChangeLine,
  type ChangeField,
  type StoredChange,
} from '../shared/model/history-diff';

// Values a flag holds.
export type { Checks, ClientData, JsonObject, JsonValue } from '../shared/json';
// JSON text of any such value (bigint, NaN, any key) as Python's json.dumps writes it.
export { stringifyJson } from '../shared/stringify-json';
export type { Clock, Random } from '../shared/clock';
export {
  Check,
  Condition,
  type CheckJSON,
  type ConditionInput,
  type ConditionJSON,
  type OperatorSymbol,
} from '../shared/conditions';
// Bucketers and percentages, each with its stored (JSON) form; the factories rebuild them from it.
export { type Bucketer, type BucketerJSON, type BucketerTrace } from '../shared/bucketing/bucketer';
export { NoOpBucketer } from '../shared/bucketing/noop-bucketer';
export { PercentageBucketer, type PercentageBucketerOptions } from '../shared/bucketing/percentage-bucketer';
export {
  ConsistentHashPercentageBucketer,
  type ConsistentHashPercentageBucketerOptions,
} from '../shared/bucketing/consistent-hash-bucketer';
export { bucketerFromJSON, type BucketerFactoryOptions } from '../shared/bucketing/bucketer-factory';
// The client's memo of consistent-hash scores, as a bucketer's `check` receives it (`scoreMemoSize`).
export { ScoreMemo } from '../shared/bucketing/score-memo';
export {
  Percentage,
  LinearRampPercentage,
  percentageFromJSON,
  type AbstractPercentage,
  type FactoryOptions,
  type FixedPercentageJSON,
  type LinearRampPercentageJSON,
  type LinearRampPercentageOptions,
  type PercentageJSON,
} from '../shared/bucketing/percentage';
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
// The flag size limit of the store contract, for stores that implement the interface directly.
export { checkFlagSize } from '../shared/model/flag-size';
export { DEFAULT_MAX_FLAG_BYTES } from '../shared/limits';

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
export type {
  ConflictRetryOptions,
  CreateOptions,
  FeatureFlagStore,
  ItemChange,
  ListOptions,
  UpdateOptions,
} from './stores/feature-flag-store';
export {
  SerializedFeatureFlagStore,
  type RawPlan,
  type SerializedStoreOptions,
  type StoredVersion,
} from './stores/serialized-store';
export { MemoryFeatureFlagStore, type MemoryFeatureFlagStoreOptions } from './stores/memory-store';
export {
  SQLiteFeatureFlagStore,
  type SQLiteDatabase,
  type SQLiteFeatureFlagStoreOptions,
  type SQLiteStatement,
} from './stores/sqlite-store';
export { RedisFeatureFlagStore, type RedisClient, type RedisFeatureFlagStoreOptions } from './stores/redis-store';
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
  type RpcTlsOptions,
} from './stores/thrift-rpc-store';
export {
  ThriftReplicaFeatureFlagStore,
  type ThriftReplicaStoreOptions,
  type ReplicaReadyOptions,
  type ReplicaStatus,
  type ReplicaEventMap,
  type BootstrapData,
} from './replica/replica-store';
export { CachedFeatureFlagStore, type CachedFeatureFlagStoreOptions } from './stores/wrappers/cached-store';
export {
  ReplicatedFeatureFlagStore,
  type ReplicatedFeatureFlagStoreOptions,
  type ReplicatedOperation,
  type ReplicatedStoreEvents,
  type ReplicationErrorEvent,
  type ReplicationMode,
} from './stores/wrappers/replicated-store';
