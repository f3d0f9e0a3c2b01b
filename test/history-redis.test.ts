import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { RedisFeatureFlagStore } from '../client';
import { withWriteContext } from '../client/calls/write-context';
import { RedisChangeLog } from '../server/feed/redis-change-log';
import { RedisRecorder } from '../server/feed/redis-recorder';
import { RedisHistoryLog } from '../server/history/redis-history-log';
import { DEFAULT_HISTORY_RETENTION, type HistoryRetention } from '../shared/model/history';
import { describeHistoryLog, type HistoryBackend, type HistoryBackendFactory } from './helpers/history-log-cases';
import { quietLogger } from './helpers/rpc-served';
import { writeRecorded } from './helpers/history-writes';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const WRITER = join(__dirname, '..', '..', 'test', 'python', 'layout_writer.py');
const REDIS_URL = 'redis://127.0.0.1:6379/0';

interface RedisBackend extends HistoryBackend {
  baseKey: string;
  log: RedisHistoryLog;
  secondLog: RedisHistoryLog;
}

const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1, lazyConnect: true });
// The second server's own connection.
const other = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1, lazyConnect: true });

let opened = 0;
const backends = new Map<HistoryBackend, string>();

async function openRedis(retention: HistoryRetention, clock: () => number): Promise<RedisBackend> {
  const baseKey = `flipper_hist-redis_${process.pid}_${Date.now()}_${opened++}`;
  const options = { baseKey, logger: quietLogger, retention, clock };
  const backend: RedisBackend = {
    baseKey,
    store: new RedisFeatureFlagStore(redis, { baseKey }),
    log: new RedisHistoryLog(redis, options),
    secondLog: new RedisHistoryLog(other, options),
    // As the Python library writes: the JSON text under `<baseKey>/<name>`, nothing else.
    writeDirectly: async (name, storedJson) => {
      const key = `${baseKey}/${name}`;
      await (storedJson === undefined ? redis.del(key) : redis.set(key, storedJson));
    },
  };
  backends.set(backend, baseKey);
  return backend;
}

const factory: HistoryBackendFactory = {
  open: openRedis,
  async close(backend) {
    const baseKey = backends.get(backend)!;
    backends.delete(backend);
    const keys = await redis.keys(`${baseKey}[/:]*`);
    if (keys.length > 0) await redis.del(...keys);
  },
};

describe('history: Redis', () => {
  after(async () => {
    await redis.quit();
    await other.quit();
  });

  describeHistoryLog('Redis', factory);

  describe('history log: Redis, beside the change log and other writers', function () {
    this.timeout(20_000);
    const now = Date.UTC(2026, 0, 1);
    const clock = () => now;
    let backend: RedisBackend;
    beforeEach(async () => {
      backend = await openRedis(DEFAULT_HISTORY_RETENTION, clock);
    });
    afterEach(() => factory.close(backend));

    it("another server recording the write first (as made outside) leaves the writer's context on that entry", async () => {
      const { store, log, secondLog } = backend;
      await log.open();
      const ctx = { operation: 'Create', actor: 'alice', peer: '127.0.0.1:5000' };
      await withWriteContext(ctx, () => store.create('raced', { isEnabled: true }));
      // The second server, woken by the keyspace notification, gets there before the writer.
      await secondLog.reconcile(['raced']);
      expect((await log.entries('raced', { limit: 10 }))[0].context).to.equal(undefined);
      await log.recordWrite('raced', ctx);
      const entries = await log.entries('raced', { limit: 10 });
      expect(entries).to.have.length(1);
      expect(entries[0].context).to.deep.equal(ctx);
      expect(entries[0].after).to.equal(await redis.get(`${backend.baseKey}/raced`));
      expect(await secondLog.entries('raced', { limit: 10 })).to.deep.equal(entries);
      // A second claim of the same entry changes nothing: it has a context now.
      await log.recordWrite('raced', { operation: 'Set', actor: 'mallory' });
      expect((await log.entries('raced', { limit: 10 }))[0].context).to.deep.equal(ctx);
    });

    it("recording the store's writes as they are made: the context rides behind the write; a lost race claims nothing", async () => {
      const { baseKey, log } = backend;
      const store = backend.store as RedisFeatureFlagStore;
      await log.open();
      log.recordWritesOf(store);
      try {
        const ctx = { operation: 'Set', actor: 'alice', peer: '127.0.0.1:5000' };
        await withWriteContext(ctx, () => store.set('piped', true));
        await log.recordWrite('piped', ctx); // nothing left to do: recorded with the write
        const [entry] = await log.entries('piped', { limit: 10 });
        expect(entry.context).to.deep.equal(ctx);
        expect(entry.after).to.equal(await redis.get(`${baseKey}/piped`));
        // Another writer's value found where this writer's was expected: recorded as theirs, not ours.
        await backend.writeDirectly('piped', '{"feature_name": "piped", "is_enabled": false}');
        const recorder = new RedisRecorder(redis, { baseKey, clock });
        await recorder.record(['piped'], { context: { operation: 'Set', actor: 'bob' }, written: '{"other": 1}' });
        const [found] = await log.entries('piped', { limit: 10 });
        expect(found.context).to.equal(undefined);
        expect(found.after).to.equal('{"feature_name": "piped", "is_enabled": false}');
        // Writes outside any server context record nothing themselves (the change feed finds them).
        await store.set('quiet', true);
        expect(await log.entries('quiet', { limit: 10 })).to.deep.equal([]);
      } finally {
        store.observeWrites(undefined);
      }
    });

    it('an entry recorded as made outside long before is not claimed by a write that changed nothing', async () => {
      const { baseKey, log } = backend;
      // A server over the same keys, a minute later.
      const later = new RedisHistoryLog(other, {
        baseKey,
        logger: quietLogger,
        retention: DEFAULT_HISTORY_RETENTION,
        clock: () => now + 60_000,
      });
      await backend.writeDirectly('old', '{"feature_name": "old", "is_enabled": true}');
      await log.reconcile(['old']);
      await later.recordWrite('old', { operation: 'Set', actor: 'bob' });
      const entries = await log.entries('old', { limit: 10 });
      expect(entries).to.have.length(1);
      expect(entries[0].context).to.equal(undefined);
    });

    it('a Python program writing the flag is recorded as made outside any server, text kept', async function () {
      try {
        execFileSync(PYTHON, ['-c', 'import redis'], { stdio: 'ignore' });
      } catch {
        this.skip();
      }
      const { log, baseKey } = backend;
      await log.open();
      await run(PYTHON, [WRITER, 'redis', REDIS_URL, baseKey, 'py', 'true']);
      await run(PYTHON, [WRITER, 'redis', REDIS_URL, baseKey, 'py', 'false']);
      await log.reconcile(['py']);
      const [entry] = await log.entries('py', { limit: 10 });
      expect(entry.context).to.equal(undefined);
      expect(entry.after).to.equal(await redis.get(`${baseKey}/py`));
      expect(entry.after).to.include('"written_by": "python"').and.include('"is_enabled": false');
    });

    it("the change log's recordings are the history's: one version, one entry, the change log's retention", async () => {
      const { baseKey, store, log } = backend;
      const changeLog = new RedisChangeLog(redis, {
        baseKey,
        logger: quietLogger,
        retention: { maxEntriesPerFlag: 2, maxAgeMs: 60_000 },
      });
      const start = (await changeLog.changesSince(0)).head;
      for (const enabled of [true, false, true]) {
        await store.set('fed', enabled);
        await changeLog.record(['fed']);
      }
      await changeLog.record('all');
      const entries = await log.entries('fed', { limit: 10 });
      expect(entries.map((e) => e.version)).to.deep.equal([start + 3, start + 2]);
      expect((await changeLog.changesSince(start)).changes).to.deep.equal([{ name: 'fed', version: start + 3 }]);
      expect(entries[0].before).to.equal(entries[1].after);
      await changeLog.close();
    });

    it('a server keeping no history versions changes without entries; the next entry says its before is unknown', async () => {
      const { baseKey, store, log } = backend;
      const noHistory = new RedisChangeLog(redis, {
        baseKey,
        logger: quietLogger,
        retention: { maxEntriesPerFlag: 0, maxAgeMs: 60_000 },
      });
      await store.create('gap');
      await log.recordWrite('gap', { operation: 'Create' });
      await store.set('gap', true);
      await noHistory.record(['gap']);
      expect(await log.entries('gap', { limit: 10 })).to.have.length(1);
      await store.set('gap', false);
      await log.recordWrite('gap', { operation: 'Set' });
      const [newest] = await log.entries('gap', { limit: 10 });
      expect(newest.beforeUnknown).to.equal(true);
      expect(newest.before).to.equal(undefined);
      expect(newest.version).to.equal((await noHistory.changesSince(0)).head);
      await noHistory.close();
    });

    it("an entry's before is the previous entry's after byte for byte, whatever field names the texts hold", async () => {
      const { store, log } = backend;
      await log.open();
      const tricky = ',"after":"x","context":"y"}';
      for (const [i, actor] of ['one', tricky, 'three'].entries()) {
        const context = { operation: 'Create', actor, reason: tricky };
        await withWriteContext(context, () => store.create('tricky', { clientData: { n: i, text: tricky } }));
        await log.recordWrite('tricky', context);
      }
      const entries = await log.entries('tricky', { limit: 10 });
      expect(entries.map((e) => e.context?.actor)).to.deep.equal(['three', tricky, 'one']);
      expect(entries[0].before).to.equal(entries[1].after);
      expect(entries[1].before).to.equal(entries[2].after);
      expect(entries[0].after).to.equal(await redis.get(`${backend.baseKey}/tricky`));
    });

    it('entries past the maximum age leave the list within 16 changes, and are hidden until then', async () => {
      let time = now;
      const aging = await openRedis({ maxEntriesPerFlag: 1000, maxAgeMs: 60_000 }, () => time);
      try {
        await aging.log.open();
        const list = `${aging.baseKey}:history:aged`;
        for (let i = 0; i < 3; i++) await writeRecorded(aging.store, aging.log, 'aged', `old-${i}`);
        time += 3_600_000;
        await writeRecorded(aging.store, aging.log, 'aged', 'new-0');
        expect((await aging.log.entries('aged', { limit: 100 })).map((e) => e.context?.actor)).to.deep.equal(['new-0']);
        for (let i = 1; i <= 16; i++) await writeRecorded(aging.store, aging.log, 'aged', `new-${i}`);
        expect(await redis.llen(list)).to.equal(17);
        expect(await aging.log.entries('aged', { limit: 100 })).to.have.length(17);
      } finally {
        await factory.close(aging);
      }
    });

    it('opening first records the flags already stored, their earlier state unknown; flags made later are new', async () => {
      const { log, store } = backend;
      await store.create('before-history');
      await log.open();
      await store.create('after-history');
      await log.reconcile('all');
      const [existing] = await log.entries('before-history', { limit: 10 });
      expect(existing.beforeUnknown).to.equal(true);
      expect(existing.before).to.equal(undefined);
      const [created] = await log.entries('after-history', { limit: 10 });
      expect(created.beforeUnknown).to.equal(undefined);
      // A second server opening later records nothing more.
      await backend.secondLog.open();
      expect(await log.entries('before-history', { limit: 10 })).to.have.length(1);
    });
  });
});
