import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { FeatureFlagClient, ThriftRPCFeatureFlagStore } from '../client';
import { recordingLogger } from './helpers/broken-store';
import { failure } from './helpers/controlled-store';
import { encodeCall, exchange } from './helpers/raw-thrift';
import { TType } from '../shared/thrift/wire';
import { everyBucketer, everyOperatorConditions } from '../client/testing/flag-shapes';
import { CLI, logRecords, startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

const run = promisify(execFile);

/** Writes flags of every shape: conditions with every operator, each bucketer and percentage. */
async function writeFlags(client: FeatureFlagClient, prefix: string): Promise<void> {
  const bucketers = everyBucketer();
  for (let i = 0; i < 12; i++) {
    const name = `${prefix}-${i}`;
    await client.create(name, { isEnabled: i % 3 !== 0, clientData: { i, owner: 'team-ü' } });
    for (const condition of everyOperatorConditions()) await client.addCondition(name, condition);
    await client.setBucketer(name, bucketers[i % bucketers.length]);
  }
}

async function everything(store: ThriftRPCFeatureFlagStore): Promise<unknown[]> {
  return (await store.list()).map((item) => item.toJSON());
}

describe('flipper-server as a process', function () {
  this.timeout(60_000);
  let dir: string;
  const servers: ServerProcess[] = [];

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'flipper-server-process-'));
  });

  afterEach(async function () {
    for (const server of servers.splice(0)) await server.stop('SIGKILL').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
    const server = await startServerProcess(args, env);
    servers.push(server);
    return server;
  }

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`finds every flag it had written, conditions and bucketers included, after ${signal} and a restart on the same file`, async function () {
      const db = `sqlite:${join(dir, 'flags.db')}`;
      const first = await start(['--store', db]);
      // One store for the whole test: it reconnects by itself once the server is back.
      const store = new ThriftRPCFeatureFlagStore({ port: first.port }, { timeout: 3000, logger: recordingLogger() });
      try {
        await writeFlags(new FeatureFlagClient(store), 'kept');
        const written = await everything(store);
        expect(written).to.have.length(12);
        const code = await first.stop(signal);
        expect(code).to.equal(signal === 'SIGTERM' ? 0 : null);
        await start(['--store', db, '--port', String(first.port)]);
        expect(await everything(store)).to.deep.equal(written);
      } finally {
        await store.close();
      }
    });
  }

  it('SIGTERM and SIGINT exit 0 at once when only idle connections are open', async function () {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const server = await start(['--store', 'memory', '--shutdown-timeout', '30']);
      const store = new ThriftRPCFeatureFlagStore({ port: server.port });
      await store.create('x'); // leaves an idle connection open
      const started = Date.now();
      expect(await server.stop(signal), signal).to.equal(0);
      expect(Date.now() - started, 'did not wait for the idle connection').to.be.lessThan(10_000);
      expect(await failure(store.get('x'))).to.be.instanceOf(Error);
      await store.close();
      const records = logRecords(server);
      expect(records.some((r) => r.msg === 'stopped')).to.equal(true);
    }
  });

  it('logs one JSON line when listening (address, store, transport, protocol, no password) and one per failed call', async function () {
    const server = await start([
      '--store',
      'redis://:s3cret@127.0.0.1:6379/0',
      '--transport',
      'framed',
      '--protocol',
      'compact',
      '--log-level',
      'debug',
    ]);
    const listening = logRecords(server).find((r) => r.msg === 'listening')!;
    expect(listening).to.include({ address: '127.0.0.1', transport: 'framed', protocol: 'compact' });
    expect(listening.store).to.equal('redis://:***@127.0.0.1:6379/0');
    expect(server.lines.join('\n')).to.not.include('s3cret');
    const store = new ThriftRPCFeatureFlagStore({ port: server.port, transport: 'framed', protocol: 'compact' });
    try {
      // An empty name, sent raw: the RPC store refuses it before sending.
      const format = { transport: 'framed', protocol: 'compact' } as const;
      const call = encodeCall(format, 'Create', 1, (w) => {
        w.writeFieldBegin('feature_name', TType.STRING, 1);
        w.writeString('');
        w.writeFieldEnd();
      });
      await exchange(server.port, [call], { enough: (received) => received.length > 0 });
      await failure(store.get('some-flag'));
    } finally {
      await store.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const failed = logRecords(server).filter((r) => r.method === 'Create');
    expect(failed).to.have.length(1);
    expect(failed[0]).to.include({ level: 40, flag: '' });
    expect(failed[0].error).to.match(/must not be empty/);
    // A call at debug level (this one fails in the store: Redis refuses the password).
    expect(logRecords(server).some((r) => r.method === 'Get' && r.flag === 'some-flag')).to.equal(true);
    expect(await server.stop()).to.equal(0);
  });

  it('--store redis://... and postgres://... keep flags in the Python layout under --base-key', async function () {
    const unique = `flipper_cli_${process.pid}_${Date.now()}`;
    const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    const pool = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    try {
      for (const url of ['redis://127.0.0.1:6379/0', 'postgres://postgres@127.0.0.1:5432/test']) {
        const server = await start(['--store', url, '--base-key', unique]);
        const store = new ThriftRPCFeatureFlagStore({ port: server.port });
        try {
          await store.create('cli-flag', { isEnabled: true, clientData: { url } });
          expect((await store.get('cli-flag'))?.meta.clientData).to.deep.equal({ url });
        } finally {
          await store.close();
        }
        expect(await server.stop()).to.equal(0);
      }
      expect(JSON.parse((await redis.get(`${unique}/cli-flag`))!)).to.include({ feature_name: 'cli-flag' });
      const rows = await pool.query(`SELECT name FROM "${unique}"`);
      expect(rows.rows).to.deep.equal([{ name: 'cli-flag' }]);
    } finally {
      await redis.del(`${unique}/cli-flag`);
      await dropFlagTableAndFeed(pool, unique);
      await pool.end();
      await redis.quit();
    }
  });

  it('reads every option from its environment variable, a flag winning over the variable', async function () {
    const server = await start(['--protocol', 'binary'], {
      FLIPPER_STORE: 'memory',
      FLIPPER_TRANSPORT: 'framed',
      FLIPPER_PROTOCOL: 'compact',
      FLIPPER_MAX_MESSAGE_BYTES: '4096',
      FLIPPER_IDLE_TIMEOUT: '5',
      FLIPPER_MAX_CONNECTIONS: '50',
    });
    const listening = logRecords(server).find((r) => r.msg === 'listening')!;
    expect(listening).to.include({
      store: 'memory',
      transport: 'framed',
      protocol: 'binary',
      maxMessageBytes: 4096,
      idleTimeoutMs: 5000,
      maxConnections: 50,
    });
    const store = new ThriftRPCFeatureFlagStore({ port: server.port, transport: 'framed' });
    try {
      await store.create('env', { isEnabled: true });
      expect((await store.get('env'))?.isEnabled).to.equal(true);
    } finally {
      await store.close();
    }
  });

  it('defaults to sqlite:./data/flags.db in the working folder', async function () {
    const child = await run(process.execPath, [CLI, '--help'], { cwd: dir });
    expect(child.stdout).to.include('(default sqlite:./data/flags.db)');
    const server = await startServerProcess(['--port', '0'], { FLIPPER_STORE: '' }, dir);
    servers.push(server);
    // Logged as an absolute path: where the server was started from is not in the log otherwise.
    const listening = logRecords(server).find((r) => r.msg === 'listening')!;
    expect(listening.store).to.equal(`sqlite:${join(realpathSync(dir), 'data', 'flags.db')}`);
    expect(await server.stop()).to.equal(0);
    expect(existsSync(join(dir, 'data', 'flags.db'))).to.equal(true);
  });

  it('--help lists every option with its default and environment variable; a bad option exits 2 naming it', async function () {
    const help = (await run(process.execPath, [CLI, '--help'])).stdout;
    for (const [flag, env, fallback] of [
      ['--host', 'FLIPPER_HOST', '127.0.0.1'],
      ['--port', 'FLIPPER_PORT', '9090'],
      ['--store', 'FLIPPER_STORE', 'sqlite:./data/flags.db'],
      ['--base-key', 'FLIPPER_BASE_KEY', 'features'],
      ['--transport', 'FLIPPER_TRANSPORT', 'buffered'],
      ['--protocol', 'FLIPPER_PROTOCOL', 'binary'],
      ['--log-level', 'FLIPPER_LOG_LEVEL', 'info'],
      ['--max-message-bytes', 'FLIPPER_MAX_MESSAGE_BYTES', '1048576'],
      ['--idle-timeout', 'FLIPPER_IDLE_TIMEOUT', '60'],
      ['--max-connections', 'FLIPPER_MAX_CONNECTIONS', '10000'],
      ['--max-connections-per-ip', 'FLIPPER_MAX_CONNECTIONS_PER_IP', '256'],
      ['--max-pending-bytes', 'FLIPPER_MAX_PENDING_BYTES', '8388608'],
      ['--store-timeout', 'FLIPPER_STORE_TIMEOUT', '1000'],
      ['--max-flag-bytes', 'FLIPPER_MAX_FLAG_BYTES', '524288'],
      ['--list-page-size', 'FLIPPER_LIST_PAGE_SIZE', '1000'],
    ]) {
      expect(help, flag).to.include(flag).and.include(env).and.include(fallback);
    }
    for (const args of [['--transport', 'udp'], ['--port', 'x'], ['--bogus'], ['--store-timeout', '0']]) {
      const error = (await failure(run(process.execPath, [CLI, ...args]))) as { code: number; stderr: string };
      expect(error.code, args.join(' ')).to.equal(2);
      expect(error.stderr).to.match(new RegExp(args[0].replace(/^--/, '')));
    }
  });
});
