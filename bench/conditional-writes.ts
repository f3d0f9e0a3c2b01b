import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { PostgreSQLFeatureFlagStore, RedisFeatureFlagStore, serializeItem, type FeatureFlagStore } from '../client';
import { report } from './harness';
import { dropFlagTableAndFeed } from '../test/helpers/pg-feed-cleanup';

const ROUNDS = 5;

/** Best calls per second of `fn` awaited one after another, over ROUNDS rounds of `calls`. */
async function best(fn: (i: number) => Promise<unknown>, calls: number): Promise<number> {
  for (let i = 0; i < Math.min(calls, 300); i++) await fn(i);
  let top = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await fn(i);
    top = Math.max(top, calls / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return top;
}

/**
 * One client data change, two ways, on one backend: `update` (read, then a compare-and-set that
 * fails if the flag changed: what every client change now does) against the unconditional
 * read-modify-write every change did before (read, then a plain write of the whole flag).
 */
async function compare(backend: string, store: FeatureFlagStore, calls: number): Promise<void> {
  // The store's own unconditional write (what `setMeta` did before), through the same call path.
  const plainWriter = store as unknown as { writeRaw(name: string, json: string): Promise<void> };
  await store.create('bench');
  const conditional = await best(
    (i) => store.update!('bench', (item) => item.withMeta(item.meta.with({ clientData: { i } }))),
    calls,
  );
  const plain = await best(async (i) => {
    const item = (await store.get('bench'))!;
    await plainWriter.writeRaw('bench', serializeItem(item.withMeta(item.meta.with({ clientData: { i } }))));
  }, calls);
  report(`${backend}: conditional update (update)`, conditional, plain, 'unconditional read + write', 1.5);
}

export async function runConditionalWriteBench(): Promise<void> {
  const run = `bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  try {
    const store = new RedisFeatureFlagStore(redis, { baseKey: run });
    await compare('Redis', store, 2000);
    await redis.del(`${run}/bench`);
  } finally {
    await redis.quit();
  }
  const pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 2 });
  try {
    const store = new PostgreSQLFeatureFlagStore(pool, { tableName: run });
    await compare('PostgreSQL', store, 1000);
  } finally {
    await dropFlagTableAndFeed(pool, run);
    await pool.end();
  }
}
