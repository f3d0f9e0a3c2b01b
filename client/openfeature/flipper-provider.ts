import {
  ErrorCode,
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type JsonValue as OpenFeatureJson,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { FeatureFlagClient } from '../client';
import { EventType } from '../events';
import { explainItem, type Explanation } from '../explanation';
import { ReplicaEvents } from '../replica/replica-events';
import type { FeatureFlagStoreItem } from '../../shared';
import { checksFromContext } from './evaluation-context';
import { flagMetadataOf } from './flag-metadata';

export interface FlipperProviderOptions {
  /** The check key that `targetingKey` is passed as. Default `'user_id'`. */
  targetingKey?: string;
}

/** Changes made through the client: each is announced as CONFIGURATION_CHANGED for its flag. */
const CHANGE_EVENTS = [
  EventType.POST_CREATE,
  EventType.POST_ENABLE,
  EventType.POST_DISABLE,
  EventType.POST_DESTROY,
  EventType.POST_ADD_CONDITION,
  EventType.POST_SET_CONDITIONS,
  EventType.POST_SET_CLIENT_DATA,
  EventType.POST_SET_BUCKETER,
];

/**
 * An OpenFeature provider over a `FeatureFlagClient`: boolean flags, evaluated by the client's
 * evaluator with the context as checks. Reasons: `DISABLED` (the flag is off), `TARGETING_MATCH`
 * (a condition decided), `SPLIT` (a percentage bucketer decided), `DEFAULT` (on, nothing to
 * decide), `ERROR` with `FLAG_NOT_FOUND`, `TYPE_MISMATCH` (a string, number or object asked for)
 * or `GENERAL` (the store failed; the caller's default). The flag's client data is its metadata.
 *
 * Events: `READY` once the store answered (`initialize`), `ERROR` when the store starts failing
 * and `READY` again when it answers, `CONFIGURATION_CHANGED` for changes made through the client
 * and, over a replica store (`ThriftReplicaFeatureFlagStore`), for every change the replica
 * receives, with their names; `STALE` when the replica says it is stale. `configurationChanged`
 * and `stale` announce the same for any other source.
 */
export class FlipperProvider implements Provider {
  readonly metadata = { name: 'flipper' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly targetingKey: string;
  private failing = false;
  private readonly onChange = (featureName: string) => this.configurationChanged([featureName]);
  private readonly onReplicaChanged = (names: string[]) => this.configurationChanged(names);
  private readonly onReplicaStale = (error: Error) => this.stale(error.message);
  /** The replica's events when the client reads from a replica (changes made anywhere, staleness). */
  private readonly replica?: ReplicaEvents;

  constructor(
    private readonly client: FeatureFlagClient,
    options: FlipperProviderOptions = {},
  ) {
    this.targetingKey = options.targetingKey ?? 'user_id';
    for (const type of CHANGE_EVENTS) client.events.on(type, this.onChange);
    const events = (client.store as { events?: unknown }).events;
    if (events instanceof ReplicaEvents) {
      this.replica = events;
      events.on('changed', this.onReplicaChanged).on('stale', this.onReplicaStale);
    }
  }

  /** Ready once the store answers a read; throwing makes the SDK report ERROR. */
  async initialize(): Promise<void> {
    await this.client.store.get('__openfeature_ready__');
  }

  async onClose(): Promise<void> {
    for (const type of CHANGE_EVENTS) this.client.events.off(type, this.onChange);
    this.replica?.off('changed', this.onReplicaChanged).off('stale', this.onReplicaStale);
  }

  /** Announces flags changed elsewhere (a replica's change feed calls this with the names). */
  configurationChanged(flagsChanged: string[]): void {
    this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged });
  }

  /** Announces that the flags may be out of date (a replica that lost its source). */
  stale(message: string): void {
    this.events.emit(ProviderEvents.Stale, { message });
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    let item: FeatureFlagStoreItem | null | undefined;
    try {
      // The memory fast path when the store has it (memory, cache, replica): no promise of our own.
      const store = this.client.store;
      item = store.peek === undefined ? undefined : store.peek(flagKey);
      if (item === undefined) item = await store.get(flagKey);
    } catch (error) {
      return this.storeFailed(defaultValue, error);
    }
    if (this.failing) this.recovered();
    if (item == null) {
      return {
        value: defaultValue,
        reason: 'ERROR',
        errorCode: ErrorCode.FLAG_NOT_FOUND,
        errorMessage: `no flag ${JSON.stringify(flagKey)}`,
      };
    }
    const explanation = explainItem(flagKey, item, checksFromContext(context, this.targetingKey));
    return {
      value: explanation.value,
      reason: reasonOf(explanation, item),
      variant: explanation.value ? 'on' : 'off',
      flagMetadata: flagMetadataOf(item.meta),
    };
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): Promise<ResolutionDetails<string>> {
    return Promise.resolve(typeMismatch(flagKey, defaultValue, 'string'));
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): Promise<ResolutionDetails<number>> {
    return Promise.resolve(typeMismatch(flagKey, defaultValue, 'number'));
  }

  resolveObjectEvaluation<T extends OpenFeatureJson>(flagKey: string, defaultValue: T): Promise<ResolutionDetails<T>> {
    return Promise.resolve(typeMismatch(flagKey, defaultValue, 'object'));
  }

  private storeFailed(defaultValue: boolean, error: unknown): ResolutionDetails<boolean> {
    const message = error instanceof Error ? error.message : String(error);
    if (!this.failing) {
      this.failing = true;
      this.events.emit(ProviderEvents.Error, { message });
    }
    return { value: defaultValue, reason: 'ERROR', errorCode: ErrorCode.GENERAL, errorMessage: message };
  }

  private recovered(): void {
    this.failing = false;
    this.events.emit(ProviderEvents.Ready, { message: 'the store answers again' });
  }
}

function reasonOf(explanation: Explanation, item: FeatureFlagStoreItem): string {
  switch (explanation.reason) {
    case 'DISABLED':
      return 'DISABLED';
    case 'CONDITION_FAILED':
    case 'CONDITIONS_HELD':
      return 'TARGETING_MATCH';
    default:
      return item.meta.bucketer.type === 'NoOpBucketer' ? 'DEFAULT' : 'SPLIT';
  }
}

function typeMismatch<T>(flagKey: string, defaultValue: T, asked: string): ResolutionDetails<T> {
  return {
    value: defaultValue,
    reason: 'ERROR',
    errorCode: ErrorCode.TYPE_MISMATCH,
    errorMessage: `flag ${JSON.stringify(flagKey)} is a boolean flag; a ${asked} was asked for`,
  };
}
