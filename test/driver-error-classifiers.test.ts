// Each driver's classifier, fed that driver's real errors: a closed port, a server that accepts and
// never answers, the backend answering with an error. Nothing is mocked: the errors are made by
// the drivers against real Redis and PostgreSQL, a real SQLite file, s3rver and the fake Consul.
import { expect } from 'chai';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import Consul from 'consul';
import Redis from 'ioredis';
import { Client } from 'pg';
import type { DriverErrorClassifier, FailureKind } from '../client/calls/driver-failure';
import { classifyS3Error } from '../client/calls/drivers/aws-s3';
import { classifySqliteError } from '../client/calls/drivers/better-sqlite3';
import { classifyConsulError } from '../client/calls/drivers/consul';
import { classifyIoredisError, ioredisUnsendable } from '../client/calls/drivers/ioredis';
import { classifyPgError } from '../client/calls/drivers/pg';
import { FakeConsul } from './helpers/fake-consul';
import { lockedSqlite, thrown } from './helpers/locked-sqlite';
import { S3Server } from './helpers/s3-server';
import { SilentServer, unusedPort } from './helpers/tcp-faults';

/** The error `work` rejects with; fails the test when it resolves. */
async function realError(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the driver to fail');
}

function expectKind(classify: DriverErrorClassifier, error: unknown, kind: FailureKind, detail?: RegExp): void {
  const failure = classify(error);
  expect(failure.kind, `${String(error)} (code ${String((error as { code?: unknown }).code)})`).to.equal(kind);
  expect(failure.detail).to.not.equal('');
  if (detail) expect(failure.detail).to.match(detail);
}

describe('driver error classifiers, with real driver errors', function () {
  let silent: SilentServer;
  let s3rver: S3Server;
  let fake: FakeConsul;

  before(async function () {
    this.timeout(30_000);
    [silent, s3rver, fake] = await Promise.all([
      new SilentServer().start(),
      new S3Server().start(),
      new FakeConsul().start(),
    ]);
  });

  after(async function () {
    await Promise.all([silent.close(), s3rver.close(), fake.close()]);
  });

  describe('ioredis', function () {
    it('a closed port is unreachable: the socket error, and the command ioredis gives up on', async function () {
      const redis = new Redis({ port: await unusedPort(), lazyConnect: true, retryStrategy: () => null });
      const socketError = new Promise((resolve) => redis.once('error', resolve));
      try {
        expectKind(classifyIoredisError, await realError(() => redis.connect()), 'unreachable', /Connection is closed/);
        expectKind(classifyIoredisError, await socketError, 'unreachable', /ECONNREFUSED/);
        expect(ioredisUnsendable(redis)).to.match(/not connected \(client status "end"\)/);
      } finally {
        redis.disconnect();
      }
    });

    it('a closed port with retries: the command fails with MaxRetriesPerRequestError, unreachable', async function () {
      const redis = new Redis({ port: await unusedPort(), maxRetriesPerRequest: 0, retryStrategy: () => 10 });
      redis.on('error', () => {});
      try {
        const error = await realError(() => redis.get('x'));
        expect((error as Error).name).to.equal('MaxRetriesPerRequestError');
        expectKind(classifyIoredisError, error, 'unreachable');
        expect(ioredisUnsendable(redis)).to.match(/reconnecting/);
      } finally {
        redis.disconnect();
      }
    });

    it('a closed client is unreachable ("Connection is closed.")', async function () {
      const redis = new Redis({ port: 6379, lazyConnect: true });
      redis.disconnect();
      expectKind(classifyIoredisError, await realError(() => redis.get('x')), 'unreachable', /Connection is closed/);
    });

    it("a server that never answers is a timeout (ioredis' own commandTimeout)", async function () {
      const redis = new Redis({ port: silent.port, commandTimeout: 100, maxRetriesPerRequest: 0 });
      redis.on('error', () => {});
      try {
        expectKind(classifyIoredisError, await realError(() => redis.get('x')), 'timeout', /timed out/);
      } finally {
        redis.disconnect();
      }
    });

    it('a reply error (WRONGTYPE) is Redis answering: refused', async function () {
      const redis = new Redis({ port: 6379 });
      const key = `flipper-classifier-${process.pid}`;
      try {
        await redis.set(key, 'text');
        expectKind(classifyIoredisError, await realError(() => redis.hget(key, 'f')), 'refused', /WRONGTYPE/);
        expect(ioredisUnsendable(redis)).to.equal(undefined);
      } finally {
        await redis.del(key);
        redis.disconnect();
      }
    });
  });

  describe('pg', function () {
    const connect = async (options: ConstructorParameters<typeof Client>[0]) => {
      const client = new Client(options);
      client.on('error', () => {});
      return client;
    };

    it('a closed port is unreachable', async function () {
      const client = await connect({ host: '127.0.0.1', port: await unusedPort(), user: 'postgres' });
      expectKind(classifyPgError, await realError(() => client.connect()), 'unreachable', /ECONNREFUSED/);
    });

    it('a closed port by host name (Node tries each address: an AggregateError) is unreachable', async function () {
      const client = await connect({ host: 'localhost', port: await unusedPort(), user: 'postgres' });
      expectKind(classifyPgError, await realError(() => client.connect()), 'unreachable', /ECONNREFUSED/);
    });

    it("a server that never answers is a timeout (pg's connectionTimeoutMillis)", async function () {
      const client = await connect({ host: '127.0.0.1', port: silent.port, connectionTimeoutMillis: 100 });
      expectKind(classifyPgError, await realError(() => client.connect()), 'timeout', /timeout/);
    });

    describe('connected', function () {
      let client: Client;
      beforeEach(async function () {
        client = await connect({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
        await client.connect();
      });
      afterEach(async function () {
        await client.end().catch(() => {});
      });

      it('a bad query (42P01) is PostgreSQL answering: refused', async function () {
        const error = await realError(() => client.query('SELECT * FROM flipper_no_such_table_for_classifier'));
        expectKind(classifyPgError, error, 'refused', /does not exist/);
      });

      it("statement_timeout (57014) and pg's query_timeout are timeouts", async function () {
        await client.query('SET statement_timeout = 50');
        expectKind(classifyPgError, await realError(() => client.query('SELECT pg_sleep(2)')), 'timeout', /cancel/);
        await client.query('SET statement_timeout = 0');
        const slow = { text: 'SELECT pg_sleep(0.5)', query_timeout: 50 } as unknown as string;
        expectKind(classifyPgError, await realError(() => client.query(slow)), 'timeout', /timeout/i);
      });

      it('the server ending the session (57P01 admin_shutdown) is unreachable, and so is the next query', async function () {
        const error = await realError(() => client.query('SELECT pg_terminate_backend(pg_backend_pid())'));
        expectKind(classifyPgError, error, 'unreachable', /terminat/);
        expectKind(classifyPgError, await realError(() => client.query('SELECT 1')), 'unreachable');
      });
    });
  });

  describe('better-sqlite3', function () {
    it('a file locked by another connection (SQLITE_BUSY) is a timeout', function () {
      const locked = lockedSqlite();
      try {
        const error = thrown(() => locked.waiter.exec('INSERT INTO t VALUES (1)'));
        expectKind(classifySqliteError, error, 'timeout', /locked/);
        expect((error as { code: string }).code).to.equal('SQLITE_BUSY');
      } finally {
        locked.close();
      }
    });

    it('a bad statement (SQLITE_ERROR) and a write to a read-only file (SQLITE_READONLY) are refused', function () {
      const locked = lockedSqlite();
      locked.release();
      const readOnly = new Database(locked.file, { readonly: true });
      try {
        for (const [sql, code] of [
          ['SELECT * FROM nope', 'SQLITE_ERROR'],
          ['INSERT INTO t VALUES (1)', 'SQLITE_READONLY'],
        ]) {
          const error = thrown(() => readOnly.exec(sql));
          expectKind(classifySqliteError, error, 'refused');
          expect((error as { code: string }).code).to.equal(code);
        }
      } finally {
        readOnly.close();
        locked.close();
      }
    });
  });

  describe('AWS SDK (S3)', function () {
    const s3 = (endpoint: string, extra: object = {}) =>
      new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        ...extra,
      });
    const get = new GetObjectCommand({ Bucket: 'flipper-classifier-no-such-bucket', Key: 'x' });

    it('a closed port is unreachable', async function () {
      const client = s3(`http://127.0.0.1:${await unusedPort()}`);
      try {
        expectKind(classifyS3Error, await realError(() => client.send(get)), 'unreachable', /ECONNREFUSED/);
      } finally {
        client.destroy();
      }
    });

    it('a server that never answers, cut by the abort signal, is a timeout', async function () {
      const client = s3(`http://127.0.0.1:${silent.port}`);
      try {
        const error = await realError(() => client.send(get, { abortSignal: AbortSignal.timeout(100) }));
        expectKind(classifyS3Error, error, 'timeout', /abort/i);
      } finally {
        client.destroy();
      }
    });

    it('an error answer (NoSuchBucket from s3rver) is refused, named', async function () {
      const client = s3(s3rver.endpoint);
      try {
        expectKind(classifyS3Error, await realError(() => client.send(get)), 'refused', /^NoSuchBucket: /);
      } finally {
        client.destroy();
      }
    });
  });

  describe('consul', function () {
    it('a closed port is unreachable', async function () {
      const consul = new Consul({ host: '127.0.0.1', port: await unusedPort() });
      try {
        expectKind(classifyConsulError, await realError(() => consul.kv.get('x')), 'unreachable', /ECONNREFUSED/);
      } finally {
        consul.destroy();
      }
    });

    it("a server that never answers is a timeout (the client's own timeout)", async function () {
      const consul = new Consul({ host: '127.0.0.1', port: silent.port });
      try {
        const options = { key: 'x', timeout: 100 } as unknown as string; // the client accepts `timeout`; its types omit it
        const error = await realError(() => consul.kv.get(options));
        expectKind(classifyConsulError, error, 'timeout');
      } finally {
        consul.destroy();
      }
    });

    it('an error answer (HTTP 500) is refused, with its status', async function () {
      const consul = new Consul({ host: '127.0.0.1', port: fake.port });
      try {
        fake.failNext(1);
        expectKind(classifyConsulError, await realError(() => consul.kv.get('x')), 'refused', /\(HTTP 500\)$/);
      } finally {
        consul.destroy();
      }
    });
  });
});
