import { expect } from 'chai';
import Redis from 'ioredis';
import { Pool, Client } from 'pg';
import { MemoryFeatureFlagStore, PostgreSQLFeatureFlagStore, RedisFeatureFlagStore } from '../client';
import { recordingLogger } from '../client/testing/recording-logger';
import { LocalChangeLog } from '../server/feed/local-change-log';
import { PostgresChangeLog } from '../server/feed/postgres-change-log';
import { RedisChangeLog } from '../server/feed/redis-change-log';
import { until } from './helpers/replica-waits';
import { quietLogger } from './helpers/rpc-served';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

// The change logs one by one: a change gets exactly one version whoever records it and however
// often, a resync of unchanged flags gives none, and Redis without CONFIG falls back to resyncs.
describe('change logs: one version per change, none for a resync of unchanged flags', function () {
  this.timeout(20_000);
  const unique = `flipper_log_${process.pid}_${Date.now()}`;

  describe('Redis', () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    const logs: RedisChangeLog[] = [];
    afterEach(async () => Promise.all(logs.splice(0).map((log) => log.close())));
    after(async () => {
      const keys = await redis.keys(`${unique}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });

    it('two servers recording the same change give it one version; recording again gives none', async () => {
      const baseKey = `${unique}_twice`;
      const one = new RedisChangeLog(redis, { baseKey, logger: quietLogger });
      const two = new RedisChangeLog(redis, { baseKey, logger: quietLogger });
      const store = new RedisFeatureFlagStore(redis, { baseKey });
      const start = (await one.changesSince(0)).head;
      await store.create('f', { isEnabled: true });
      await Promise.all([one.record(['f']), two.record(['f']), one.record('all'), two.record('all')]);
      const after = await two.changesSince(start);
      expect(after.head).to.equal(start + 1);
      expect(after.changes).to.deep.equal([{ name: 'f', version: start + 1 }]);
      await store.delete('f');
      await one.record('all');
      await one.record('all');
      expect((await one.changesSince(start + 1)).changes).to.deep.equal([{ name: 'f', version: start + 2 }]);
    });

    it('without CONFIG (a managed Redis): says so once and resyncs every interval, finding direct writes', async () => {
      const baseKey = `${unique}_noconfig`;
      // The same Redis, but CONFIG refused as a managed service refuses it.
      const refusing = new Proxy(redis, {
        get(target, property, receiver) {
          if (property === 'config') return () => Promise.reject(new Error("ERR unknown command 'CONFIG'"));
          return Reflect.get(target, property, receiver) as unknown;
        },
      });
      const logger = recordingLogger();
      const log = new RedisChangeLog(refusing, { baseKey, logger, resyncIntervalMs: 100 });
      logs.push(log);
      let signals = 0;
      await log.start(() => void signals++);
      expect(logger.at('warn').map((l) => l.msg)).to.deep.equal([
        'change feed: Redis keyspace notifications are off and cannot be turned on; changes made by other writers arrive with a periodic full resync',
      ]);
      await until(() => signals >= 2, 'two periodic resync signals');
      const start = (await log.changesSince(0)).head;
      await new RedisFeatureFlagStore(redis, { baseKey }).create('direct', { isEnabled: true });
      await log.record('all');
      expect((await log.changesSince(start)).changes.map((c) => c.name)).to.deep.equal(['direct']);
    });
  });

  it('in-process log: a flag versioned once per change, whatever the number of resyncs', async () => {
    const store = new MemoryFeatureFlagStore();
    const log = new LocalChangeLog(store);
    await store.create('a');
    await log.record('all');
    await log.record('all');
    await log.record(['a']);
    expect(await log.changesSince(0)).to.deep.include({ head: 1, changes: [{ name: 'a', version: 1 }] });
    await store.set('a', true);
    await log.record('all');
    expect((await log.changesSince(1)).changes).to.deep.equal([{ name: 'a', version: 2 }]);
    await log.close();
  });

  describe('PostgreSQL', () => {
    const pool = new Pool({ connectionString: PG_URL, max: 4 });
    after(async () => {
      await dropFlagTableAndFeed(pool, unique);
      await pool.end();
    });

    it('the trigger versions every committed change in order, NOTIFYs, and skips an update that changes nothing', async () => {
      const log = new PostgresChangeLog(pool, () => new Client({ connectionString: PG_URL }), {
        tableName: unique,
        logger: quietLogger,
      });
      let signals = 0;
      await log.start(() => void signals++);
      try {
        const store = new PostgreSQLFeatureFlagStore(pool, { tableName: unique });
        const start = (await log.changesSince(0)).head;
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(`flag-${i}`)));
        const after = await log.changesSince(start);
        expect(after.head).to.equal(start + 20);
        expect(after.changes.map((c) => c.version).sort((a, b) => a - b)).to.deep.equal(
          Array.from({ length: 20 }, (_, i) => start + i + 1),
        );
        await until(() => signals >= 20, 'a NOTIFY per change');
        await pool.query(`UPDATE "${unique}" SET item = item WHERE name = 'flag-0'`);
        expect((await log.changesSince(0)).head).to.equal(start + 20);
        await store.delete('flag-0');
        expect((await log.changesSince(start + 20)).changes).to.deep.equal([{ name: 'flag-0', version: start + 21 }]);
        // TRUNCATE fires no row trigger: its own statement trigger moves every name to one new version.
        await pool.query(`TRUNCATE "${unique}"`);
        const truncated = await log.changesSince(start + 21);
        expect(truncated.head).to.equal(start + 22);
        expect(truncated.changes).to.have.length(20);
      } finally {
        await log.close();
      }
    });
  });
});
