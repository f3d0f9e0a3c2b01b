import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Redis from 'ioredis';
import { Pool } from 'pg';
import {
  PostgreSQLFeatureFlagStore,
  RedisFeatureFlagStore,
  SQLiteFeatureFlagStore,
  ThriftReplicaFeatureFlagStore,
  ThriftRPCFeatureFlagStore,
} from '../client';
import { startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { nextChange } from './helpers/replica-waits';
import { quietLogger } from './helpers/rpc-served';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const WRITER = join(__dirname, '..', '..', 'test', 'python', 'layout_writer.py');
const REDIS_URL = 'redis://127.0.0.1:6379/0';
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

// Changes from every writer reach a replica: through its own server, through another server over
// the same backend, and straight into the backend (our stores, and Python's layout), by the
// backend's own change signal (keyspace notifications, LISTEN/NOTIFY, PRAGMA data_version).
describe('replica: changes from every writer of the backend arrive', function () {
  this.timeout(60_000);
  const unique = `flipper_feed_${process.pid}_${Date.now()}`;
  const servers: ServerProcess[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  const replicaOn = async (server: ServerProcess) => {
    const replica = new ThriftReplicaFeatureFlagStore({ port: server.port }, { logger: quietLogger });
    closers.push(() => replica.close());
    expect(await replica.ready({ timeout: 10_000 })).to.equal('fresh');
    return replica;
  };
  const rpcOn = (server: ServerProcess) => {
    const rpc = new ThriftRPCFeatureFlagStore({ port: server.port });
    closers.push(() => rpc.close());
    return rpc;
  };

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  describe('Redis', () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1, lazyConnect: true });
    after(async () => {
      const keys = await redis.keys(`${unique}[/:]*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });

    it('a write through another server, a RedisFeatureFlagStore write and a Python-layout write', async () => {
      for (let i = 0; i < 2; i++) servers.push(await startServerProcess(['--store', REDIS_URL, '--base-key', unique]));
      const replica = await replicaOn(servers[1]);

      let seen = nextChange(replica, 'via-a');
      await rpcOn(servers[0]).create('via-a', { isEnabled: true });
      await seen;
      expect(replica.peek('via-a')?.isEnabled).to.equal(true);

      seen = nextChange(replica, 'direct');
      await new RedisFeatureFlagStore(redis, { baseKey: unique }).create('direct', { isEnabled: true });
      await seen;
      expect(replica.peek('direct')?.isEnabled).to.equal(true);

      seen = nextChange(replica, 'py');
      await run(PYTHON, [WRITER, 'redis', REDIS_URL, unique, 'py', 'true']);
      await seen;
      expect(replica.peek('py')?.isEnabled).to.equal(true);
      expect(replica.peek('py')?.meta.clientData).to.deep.equal({ written_by: 'python' });

      seen = nextChange(replica, 'py');
      await run(PYTHON, [WRITER, 'redis', REDIS_URL, unique, 'py', 'false']);
      await seen;
      expect(replica.peek('py')?.isEnabled).to.equal(false);

      seen = nextChange(replica, 'direct');
      await redis.del(`${unique}/direct`);
      await seen;
      expect(replica.peek('direct')).to.equal(null);
    });

    it('one version sequence per Redis: two servers give the same store id and versions', async () => {
      for (let i = 0; i < 2; i++) servers.push(await startServerProcess(['--store', REDIS_URL, '--base-key', unique]));
      const first = await replicaOn(servers[0]);
      const second = await replicaOn(servers[1]);
      expect(first.version?.storeId).to.equal(second.version?.storeId);
      const changed = [nextChange(first, 'shared'), nextChange(second, 'shared')];
      await rpcOn(servers[0]).create('shared', { isEnabled: true });
      await Promise.all(changed);
      expect(first.version).to.deep.equal(second.version);
    });
  });

  describe('PostgreSQL', () => {
    const pool = new Pool({ connectionString: PG_URL, max: 2 });
    after(async () => {
      await dropFlagTableAndFeed(pool, unique);
      await pool.end();
    });

    it('a write through another server, a PostgreSQLFeatureFlagStore write and a Python-layout row', async () => {
      for (let i = 0; i < 2; i++) servers.push(await startServerProcess(['--store', PG_URL, '--base-key', unique]));
      const replica = await replicaOn(servers[1]);

      let seen = nextChange(replica, 'via-a');
      await rpcOn(servers[0]).create('via-a', { isEnabled: true });
      await seen;

      seen = nextChange(replica, 'direct');
      await new PostgreSQLFeatureFlagStore(pool, { tableName: unique }).create('direct', { isEnabled: true });
      await seen;
      expect(replica.peek('direct')?.isEnabled).to.equal(true);

      seen = nextChange(replica, 'py');
      await run(PYTHON, [WRITER, 'postgres', 'dbname=test user=postgres host=127.0.0.1', unique, 'py', 'true']);
      await seen;
      expect(replica.peek('py')?.isEnabled).to.equal(true);

      seen = nextChange(replica, 'py');
      await pool.query(`DELETE FROM "${unique}" WHERE name = 'py'`);
      await seen;
      expect(replica.peek('py')).to.equal(null);
    });
  });

  describe('SQLite', () => {
    let folder: string;
    before(() => {
      folder = mkdtempSync(join(tmpdir(), 'flipper-feed-'));
    });
    after(() => rmSync(folder, { recursive: true, force: true }));

    it('a write by another process on the same file (PRAGMA data_version)', async () => {
      const file = join(folder, 'flags.db');
      servers.push(await startServerProcess(['--store', `sqlite:${file}`]));
      const replica = await replicaOn(servers[0]);
      const other = new SQLiteFeatureFlagStore(file);
      closers.push(() => other.close());
      const seen = nextChange(replica, 'from-file');
      await other.create('from-file', { isEnabled: true });
      await seen;
      expect(replica.peek('from-file')?.isEnabled).to.equal(true);
    });
  });
});
