import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Pool } from 'pg';
import {
  Condition,
  FeatureFlagClient,
  InvalidConditionError,
  MemoryFeatureFlagStore,
  PostgreSQLFeatureFlagStore,
  RedisFeatureFlagStore,
  deserializeItem,
  serializeItem,
  type FeatureFlagStore,
} from '../client';
import { escapeGlob } from '../client/stores/redis-store';
import { expectSameStoredJson, expected, hostileFixture, type HostileItem } from './helpers/hostile-fixtures';
import { serve, type Served } from './helpers/rpc-served';
import { parseStoredJson, writeStoredJson, type StoredJson, type StoredObject } from '../shared/stored-json';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

const { items, keyword_cases: keywordCases } = hostileFixture();
const RUN = `flipper-hostile-${process.pid}-${randomBytes(4).toString('hex')}`;

/** `ours` is Python's text with one condition added at the end: everything else exactly as Python wrote it. */
function expectAllButLastCondition(ours: string, python: string, label: string): void {
  const mine = parseStoredJson(ours) as StoredObject;
  const meta = mine.meta as StoredObject;
  const conditions = meta.conditions as StoredJson[];
  expect(conditions.length, label).to.be.greaterThan(0);
  meta.conditions = conditions.slice(0, -1);
  expectSameStoredJson(writeStoredJson(mine), python, label);
}

/**
 * Flags whose condition variable is a lone surrogate: Thrift strings are UTF-8, which cannot carry
 * one (it arrives as U+FFFD), so over the flag server their conditions cannot match.
 */
const NOT_OVER_THRIFT = ['LONE_VARIABLE'];

/** Every call of every flag gives the expected answer, from `isEnabled` and from `explain`. */
async function expectEveryAnswer(client: FeatureFlagClient, item: HostileItem, where: string): Promise<void> {
  if (where.startsWith('rpc') && NOT_OVER_THRIFT.includes(item.name)) return;
  for (const call of item.calls) {
    const label = `${where}: ${item.name} (${item.covers}) ${String(Object.keys(call.checks))}`;
    expect(await client.isEnabled(item.name, call.checks), label).to.equal(expected(call));
    expect((await client.explain(item.name, call.checks)).value, label).to.equal(expected(call));
  }
}

describe('flags Python wrote with values JavaScript gets wrong (python-hostile-items.json)', function () {
  it('has the 65 flags, 212 calls and 22 keyword cases', function () {
    expect(items).to.have.length(65);
    expect(items.reduce((n, i) => n + i.calls.length, 0)).to.equal(212);
    expect(keywordCases).to.have.length(22);
  });

  it('every flag reads without error, and writes back exactly what Python wrote, numbers byte for byte', function () {
    for (const item of items) {
      expectSameStoredJson(serializeItem(deserializeItem(item.stored_json)), item.stored_json, item.name);
      const enabled = deserializeItem(item.stored_json).withEnabled(true);
      expectSameStoredJson(serializeItem(enabled), item.after_enable_json, `${item.name} enabled`);
    }
  });

  it('every keyword case parses as Python parses it, or throws InvalidConditionError where Python raises', function () {
    for (const { kwargs, to_dict, python_error } of keywordCases) {
      const label = JSON.stringify(kwargs);
      if (python_error !== undefined) {
        expect(() => new Condition(kwargs), label).to.throw(InvalidConditionError);
        continue;
      }
      const ours = new Condition(kwargs).toJSON();
      expect(Object.keys(ours).sort(), label).to.deep.equal(Object.keys(to_dict!).sort());
      for (const variable of Object.keys(to_dict!)) {
        const byText = (list: unknown) => (list as unknown[]).map((c) => JSON.stringify(c)).sort();
        expect(byText(ours[variable]), `${label} ${variable}`).to.deep.equal(byText(to_dict![variable]));
      }
    }
  });

  describe('through every store: the Python answer for every call, and after enable the text Python writes', function () {
    it('MemoryFeatureFlagStore', async function () {
      const store = new MemoryFeatureFlagStore();
      const client = new FeatureFlagClient(store);
      for (const item of items) {
        const read = deserializeItem(item.stored_json);
        await store.create(item.name);
        await store.set(item.name, read.isEnabled);
        await store.setMeta(item.name, read.meta);
        await expectEveryAnswer(client, item, 'memory');
        await client.enable(item.name);
        expectSameStoredJson(serializeItem((await store.get(item.name))!), item.after_enable_json, item.name);
      }
    });

    describe('stores that keep the JSON text', function () {
      let redis: Redis;
      let pool: Pool;
      const table = RUN.replace(/-/g, '_');

      before(async function () {
        redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
        pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 4 });
      });

      after(async function () {
        for await (const keys of redis.scanStream({ match: `${escapeGlob(RUN)}*/*` }) as AsyncIterable<string[]>) {
          if (keys.length > 0) await redis.del(...keys);
        }
        await dropFlagTableAndFeed(pool, table);
        await redis.quit();
        await pool.end();
      });

      /** Writes Python's text straight into the backend, runs every call, enables, and reads the text back. */
      async function exercise(
        store: FeatureFlagStore,
        via: FeatureFlagStore,
        writeRaw: (name: string, json: string) => Promise<void>,
        readRaw: (name: string) => Promise<string>,
        where: string,
      ): Promise<void> {
        const client = new FeatureFlagClient(via);
        await store.get('warm-up'); // a store may create its table on first use
        for (const item of items) {
          await writeRaw(item.name, item.stored_json);
          await expectEveryAnswer(client, item, where);
          await client.enable(item.name);
          expectSameStoredJson(await readRaw(item.name), item.after_enable_json, `${where}: ${item.name}`);
          // A write that changes meta keeps Python's `is_enabled` and every number as it was.
          if (where.startsWith('rpc') && NOT_OVER_THRIFT.includes(item.name)) continue;
          await writeRaw(item.name, item.stored_json);
          await client.addCondition(item.name, new Condition({ added_by_node: true }));
          expectAllButLastCondition(await readRaw(item.name), item.stored_json, `${where}: ${item.name} addCondition`);
        }
      }

      it('RedisFeatureFlagStore', async function () {
        const base = `${RUN}-redis`;
        const store = new RedisFeatureFlagStore(redis, { baseKey: base });
        await exercise(
          store,
          store,
          async (name, json) => void (await redis.set(`${base}/${name}`, json)),
          async (name) => (await redis.get(`${base}/${name}`))!,
          'redis',
        );
      });

      it('PostgreSQLFeatureFlagStore', async function () {
        const store = new PostgreSQLFeatureFlagStore(pool, { tableName: table });
        await exercise(
          store,
          store,
          async (name, json) =>
            void (await pool.query(
              `INSERT INTO "${table}" (name, item) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET item = EXCLUDED.item`,
              [name, Buffer.from(json)],
            )),
          async (name) =>
            (
              await pool.query<{ item: Buffer }>(`SELECT item FROM "${table}" WHERE name = $1`, [name])
            ).rows[0].item.toString('utf8'),
          'postgres',
        );
      });

      for (const [transport, protocol] of [
        ['buffered', 'binary'],
        ['framed', 'compact'],
      ] as const) {
        it(`the flag server over Redis (${transport}/${protocol}), through ThriftRPCFeatureFlagStore`, async function () {
          const base = `${RUN}-rpc-${protocol}`;
          const backend = new RedisFeatureFlagStore(redis, { baseKey: base });
          const served: Served = await serve(backend, { transport, protocol });
          try {
            await exercise(
              backend,
              served.rpc,
              async (name, json) => void (await redis.set(`${base}/${name}`, json)),
              async (name) => (await redis.get(`${base}/${name}`))!,
              `rpc ${protocol}`,
            );
          } finally {
            await served.close();
          }
        });
      }
    });
  });
});
