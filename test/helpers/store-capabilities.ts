import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { FeatureFlagStore } from '../../client';
import { RedisFeatureFlagStore, escapeGlob } from '../../client/stores/redis-store';
import type { FaultyBackend, RecordingLogger, StoreConformanceOptions } from '../../client/testing';
import { recordingLogger } from '../../client/testing/recording-logger';
import { deserializeItem } from '../../shared';

// What the store tests declare to the conformance suite (client/testing), and the reasons they
// give for what does not apply, written once.

/** Reasons by capability, as `notApplicable` takes them. */
type Reasons = NonNullable<StoreConformanceOptions['notApplicable']>;

/** Why the text cases do not apply to a store that holds parsed items (the memory store, or one over it). */
export const HOLDS_PARSED_ITEMS: Reasons = {
  invalidJson: 'holds parsed items: text that does not parse cannot be put in it',
  readRaw: 'holds parsed items, not text',
};

/** Why the cases on a backend (reaching it, sharing it) do not apply to a store that holds its flags itself. */
const IN_PROCESS = 'no backend: each instance holds its own flags in this process';
export const NO_BACKEND: Reasons = {
  unreachableBackend: IN_PROCESS,
  hangingBackend: IN_PROCESS,
  makeNeighbour: IN_PROCESS,
  makeSecondStore: IN_PROCESS,
};

/** Puts Python's JSON into a store that holds parsed items, as it would hold it after reading it. */
export async function writeParsed(store: FeatureFlagStore, name: string, json: string): Promise<void> {
  const item = deserializeItem(json);
  await store.create(name, { isEnabled: item.isEnabled, clientData: item.meta.clientData });
  await store.setMeta(name, item.meta);
}

/** What a store that holds parsed items in this process (memory, or a wrapper over it) declares. */
export const PARSED_IN_PROCESS = {
  writeRaw: writeParsed,
  notApplicable: { ...HOLDS_PARSED_ITEMS, ...NO_BACKEND },
} satisfies Partial<StoreConformanceOptions>;

/**
 * The backend-fault capabilities of a store over Redis: `wrap` makes the store (over a Redis store
 * with a 300 ms command timeout) from a client for the suite's endpoint, which it disconnects after.
 * The outage must be logged once: by the Redis store, or, when `loggedBy` is `'wrapper'`, by the
 * wrapper alone (the Redis store then logs nowhere).
 */
export function redisFaults<S extends FeatureFlagStore>(
  wrap: (backend: RedisFeatureFlagStore, logger: RecordingLogger) => S,
  loggedBy: 'backend' | 'wrapper' = 'backend',
): Pick<StoreConformanceOptions<S>, 'unreachableBackend' | 'hangingBackend'> {
  const leftovers = new Leftovers();
  const faulty: FaultyBackend<S> = {
    makeStore: ({ host, port }, { logger }) => {
      const client = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
      client.on('error', () => {}); // the store reports them
      const backendLogger = loggedBy === 'backend' ? logger : recordingLogger();
      const backend = new RedisFeatureFlagStore(client, { commandTimeout: 300, logger: backendLogger });
      return leftovers.keep(wrap(backend, logger), () => client.disconnect());
    },
    withinMs: 2000,
    logsOutageOnce: true,
    release: leftovers.release,
  };
  return { unreachableBackend: faulty, hangingBackend: faulty };
}

/** Deletes every Redis key under `<baseKey>/`. */
export async function deleteRedisKeysUnder(redis: Redis, baseKey: string): Promise<void> {
  const stream = redis.scanStream({ match: `${escapeGlob(baseKey)}/*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) if (keys.length > 0) await redis.del(...keys);
}

/**
 * What a test made for a store and must release after the suite closed it (a driver client the
 * store does not own): `keep` when making the store, `release` in the capability's `release`.
 */
export class Leftovers {
  private readonly releases = new Map<FeatureFlagStore, () => Promise<unknown> | unknown>();

  keep<S extends FeatureFlagStore>(store: S, release: () => Promise<unknown> | unknown): S {
    this.releases.set(store, release);
    return store;
  }

  readonly release = async (store: FeatureFlagStore): Promise<void> => {
    const release = this.releases.get(store);
    this.releases.delete(store);
    await release?.();
  };
}

/**
 * Names no other test run uses (`<kind><sep><pid><sep><random><sep><n>`), for key prefixes, tables
 * and buckets on the Redis and PostgreSQL that other runs share.
 */
export function uniqueNames(kind: string, separator = '-'): () => string {
  const run = [kind, process.pid, randomBytes(4).toString('hex')].join(separator);
  let serial = 0;
  return () => `${run}${separator}${serial++}`;
}
