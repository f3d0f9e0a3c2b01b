import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { FeatureFlagClient, RedisFeatureFlagStore, ThriftReplicaFeatureFlagStore } from '../client';
import { recordingLogger } from '../client/testing/recording-logger';
import { startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { nextChange, nextEvent, until } from './helpers/replica-waits';
import { quietLogger } from './helpers/rpc-served';
import { TcpProxy } from './helpers/tcp-faults';

const REDIS_URL = 'redis://127.0.0.1:6379/0';

// The server goes away and comes back; the app starts while it is away; the snapshot file is
// damaged or cannot be written. The replica keeps answering and says how its data stands.
describe('replica: outages, the snapshot file, and startup without the server', function () {
  this.timeout(60_000);
  const unique = `flipper_outage_${process.pid}_${Date.now()}`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1, lazyConnect: true });
  let folder: string;
  const servers: ServerProcess[] = [];
  const replicas: ThriftReplicaFeatureFlagStore[] = [];
  const replica = (port: number, options = {}) => {
    const r = new ThriftReplicaFeatureFlagStore(
      { port },
      { logger: quietLogger, reconnect: { initialDelayMs: 20, maxDelayMs: 100 }, ...options },
    );
    replicas.push(r);
    return r;
  };
  const startRedisServer = async (port?: number) => {
    const args = ['--store', REDIS_URL, '--base-key', unique, ...(port ? ['--port', String(port)] : [])];
    const server = await startServerProcess(args);
    servers.push(server);
    return server;
  };

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'flipper-replica-'));
  });
  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((r) => r.close()));
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    rmSync(folder, { recursive: true, force: true });
  });
  after(async () => {
    const keys = await redis.keys(`${unique}[/:]*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('server killed: answers from memory, emits stale, catches up after the restart without a new snapshot', async () => {
    const store = new RedisFeatureFlagStore(redis, { baseKey: unique });
    await store.create('kept', { isEnabled: true });
    const first = await startRedisServer();
    const r = replica(first.port, { staleAfter: 200 });
    const client = new FeatureFlagClient(r);
    expect(await client.ready()).to.equal('fresh');
    expect(r.stats.snapshots).to.equal(1);

    const stale = nextEvent(r, 'stale');
    await first.stop('SIGKILL');
    await stale;
    expect(r.status).to.equal('stale');
    expect(client.isEnabledSync('kept')).to.equal(true);
    expect(await client.isEnabled('kept')).to.equal(true);

    // Changed while no server runs: a Python-style direct write.
    await store.set('kept', false);
    const caughtUp = nextChange(r, 'kept', 20_000);
    await startRedisServer(first.port);
    await caughtUp;
    expect(client.isEnabledSync('kept')).to.equal(false);
    expect(r.status).to.equal('fresh');
    // The restarted server continues the same Redis version sequence: no second snapshot.
    expect(r.stats.snapshots).to.equal(1);
  });

  it('moved to another server over the same Redis (a load balancer picks another): continues without a snapshot', async () => {
    const [a, b] = [await startRedisServer(), await startRedisServer()];
    let balancer = await new TcpProxy(a.port).start();
    try {
      const r = replica(balancer.port, { staleAfter: 60_000 });
      await r.ready();
      const store = new RedisFeatureFlagStore(redis, { baseKey: unique });
      const first = nextChange(r, 'moved');
      await store.create('moved');
      await first;
      // Server A goes away; the balancer now sends connections to B.
      await balancer.stop();
      await a.stop('SIGKILL');
      const port = balancer.port;
      balancer = new TcpProxy(b.port);
      balancer.port = port;
      await balancer.start();
      const second = nextChange(r, 'moved', 20_000);
      await store.set('moved', true);
      await second;
      expect(r.peek('moved')?.isEnabled).to.equal(true);
      expect(r.stats.snapshots).to.equal(1);
    } finally {
      await balancer.stop();
    }
  });

  it('a memory server restarted is a new version sequence: the replica takes a new snapshot and reports what changed', async () => {
    const first = await startServerProcess(['--store', 'memory']);
    servers.push(first);
    const r = replica(first.port, { staleAfter: 100 });
    await r.ready();
    const writer = new FeatureFlagClient(
      new ThriftReplicaFeatureFlagStore({ port: first.port }, { logger: quietLogger }),
    );
    replicas.push(writer.store as ThriftReplicaFeatureFlagStore);
    await writer.create('gone-after-restart', { isEnabled: true });
    await until(() => r.peek('gone-after-restart') !== null, 'the flag to arrive');
    await first.stop('SIGKILL');
    const changed = nextChange(r, 'gone-after-restart', 20_000);
    const reconnected = nextEvent(r, 'reconnected', 20_000);
    servers.push(await startServerProcess(['--store', 'memory', '--port', String(first.port)]));
    await Promise.all([changed, reconnected]);
    expect(r.peek('gone-after-restart')).to.equal(null);
    expect(r.stats.snapshots).to.equal(2);
  });

  it('writes every new version to the snapshot file atomically, and an app started while the server is down answers from it (stale)', async () => {
    const file = join(folder, 'flags.json');
    const server = await startRedisServer();
    const store = new RedisFeatureFlagStore(redis, { baseKey: unique });
    await store.create('from-file', { isEnabled: true });
    const r = replica(server.port, { snapshotFile: file });
    await r.ready();
    await until(() => existsSync(file) && readFileSync(file, 'utf8').includes('from-file'), 'the snapshot file');
    const changed = nextChange(r, 'later');
    await store.create('later', { isEnabled: true });
    await changed;
    await until(() => readFileSync(file, 'utf8').includes('"later"'), 'the next version in the file');
    expect(readdirSync(folder).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
    await r.close();
    await server.stop('SIGKILL');

    const started = Date.now();
    const offline = replica(server.port, { snapshotFile: file });
    const client = new FeatureFlagClient(offline);
    expect(client.isEnabledSync('from-file')).to.equal(true);
    expect(await client.ready({ timeout: 300 })).to.equal('stale');
    expect(Date.now() - started).to.be.lessThan(3000);
    expect(await client.isEnabled('later')).to.equal(true);
  });

  it('restarted with a snapshot file over Redis: continues from its version (no snapshot) and gets what changed meanwhile', async () => {
    const file = join(folder, 'flags.json');
    const server = await startRedisServer();
    const store = new RedisFeatureFlagStore(redis, { baseKey: unique });
    await store.create('before-restart', { isEnabled: true });
    const first = replica(server.port, { snapshotFile: file });
    await first.ready();
    await until(() => existsSync(file) && readFileSync(file, 'utf8').includes('before-restart'), 'the snapshot file');
    await first.close();

    await store.set('before-restart', false); // while the app was down
    const restarted = replica(server.port, { snapshotFile: file });
    const changed = nextChange(restarted, 'before-restart');
    expect(restarted.peek('before-restart')?.isEnabled).to.equal(true); // the file, until the server answers
    expect(await restarted.ready()).to.equal('fresh');
    await changed;
    expect(restarted.peek('before-restart')?.isEnabled).to.equal(false);
    expect(restarted.stats.snapshots).to.equal(0);
  });

  for (const [what, text] of [
    ['a truncated snapshot file', '{"format": "flipper-replica-snapshot", "format_version": 1, "flags": [{"feature'],
    ['a file of another format', '{"hello": "world"}'],
    ['a file that is not JSON at all', '\u0000\u0001binary'],
  ] as const) {
    it(`${what}: logged and ignored, no crash, ready() says defaults`, async () => {
      const file = join(folder, 'flags.json');
      writeFileSync(file, text);
      const logger = recordingLogger();
      const r = replica(1, { snapshotFile: file, logger });
      const error = nextEvent(r, 'error');
      expect(await r.ready({ timeout: 100 })).to.equal('defaults');
      expect(await error).to.be.instanceOf(Error);
      expect(logger.at('warn').map((l) => l.msg)).to.include('replica: ignoring the snapshot file');
    });
  }

  it('an unwritable folder: logged once, no crash, reads still answer', async () => {
    const server = await startRedisServer();
    // A regular file where the folder should be: unwritable even for root (tests may run as root).
    const blocked = join(folder, 'not-a-folder');
    writeFileSync(blocked, 'a file where a folder should be');
    const logger = recordingLogger();
    const r = replica(server.port, { snapshotFile: join(blocked, 'flags.json'), logger });
    const error = nextEvent(r, 'error');
    expect(await r.ready()).to.equal('fresh');
    await error;
    const cannotWrite = () => logger.at('warn').filter((l) => l.msg === 'replica: cannot write the snapshot file');
    await until(() => cannotWrite().length > 0, 'the log line');
    const changed = nextChange(r, 'next-version');
    await new RedisFeatureFlagStore(redis, { baseKey: unique }).create('next-version', { isEnabled: true });
    await changed;
    expect(r.peek('next-version')?.isEnabled).to.equal(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cannotWrite()).to.have.length(1);
    expect(r.status).to.equal('fresh');
  });

  it('bootstrap from a JSON file the app ships', async () => {
    const file = join(folder, 'bootstrap.json');
    writeFileSync(
      file,
      JSON.stringify({
        shipped: { is_enabled: true, meta: { client_data: {}, conditions: [], bucketer: { type: 'NoOpBucketer' } } },
      }),
    );
    const r = replica(1, { bootstrapFile: file });
    expect(await r.ready({ timeout: 100 })).to.equal('bootstrap');
    expect(new FeatureFlagClient(r).isEnabledSync('shipped')).to.equal(true);
  });
});
