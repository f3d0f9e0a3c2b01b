import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Pool } from 'pg';
import {
  ConnectionError,
  OutcomeUnknownError,
  PostgreSQLFeatureFlagStore,
  RedisFeatureFlagStore,
  TimeoutError,
} from '../client';
import { ThriftRPCFeatureFlagStore } from '../client/stores/thrift-rpc-store';
import { ConflictError } from '../shared';
import { errorFromThrift, errorToThrift, thriftTypes } from '../shared/thrift/mapping';
import { silentLogger } from './helpers/controlled-store';
import { SilentServer, TcpProxy, unusedPort } from './helpers/tcp-faults';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

const RUN = `ou_${process.pid}_${randomBytes(4).toString('hex')}`;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('a stalled backend: writes end "outcome unknown", reads time out, and the store ends as callers could conclude', function () {
  this.timeout(20_000);

  it('Redis: writes sent during a stall are OutcomeUnknownError and take effect when it ends', async function () {
    const proxy = await new TcpProxy(6379).start();
    const redis = new Redis({ host: '127.0.0.1', port: proxy.port, maxRetriesPerRequest: 1 });
    const direct = new Redis({ host: '127.0.0.1', port: 6379 });
    // The connection is kept through the stall (no forced reconnect after 3 timeouts), so the held
    // commands reach Redis when it ends.
    const store = new RedisFeatureFlagStore(redis, {
      baseKey: RUN,
      commandTimeout: 200,
      logger: silentLogger,
      reconnectAfterTimeouts: 0,
    });
    const truth = new RedisFeatureFlagStore(direct, { baseKey: RUN });
    try {
      await store.create('acknowledged');
      proxy.stall();
      const created = await rejection(store.create('maybe-created'));
      const deleted = await rejection(store.delete('acknowledged'));
      const read = await rejection(store.get('acknowledged'));
      expect(created).to.be.instanceOf(OutcomeUnknownError);
      expect((created as Error).message).to.match(/may have been applied/);
      expect(deleted).to.be.instanceOf(OutcomeUnknownError);
      expect(read).to.be.instanceOf(TimeoutError); // a read changes nothing: a plain timeout
      expect(read).not.to.be.instanceOf(OutcomeUnknownError);
      // While stalled, the backend has applied neither: "unknown" was the honest answer.
      expect(await truth.get('maybe-created')).to.equal(undefined);
      proxy.resume();
      await store.get('acknowledged'); // the held commands went first, in order
      expect(await truth.get('maybe-created')).not.to.equal(undefined);
      expect(await truth.get('acknowledged')).to.equal(undefined);
    } finally {
      await truth.delete('maybe-created');
      redis.disconnect();
      await direct.quit();
      await proxy.stop();
    }
  });

  it('PostgreSQL: a write past queryTimeout is OutcomeUnknownError, a read TimeoutError', async function () {
    const proxy = await new TcpProxy(5432).start();
    const pool = new Pool({ host: '127.0.0.1', port: proxy.port, user: 'postgres', database: 'test', max: 2 });
    const direct = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 1 });
    const table = `${RUN}_pg`;
    const store = new PostgreSQLFeatureFlagStore(pool, { tableName: table, queryTimeout: 300, logger: silentLogger });
    const truth = new PostgreSQLFeatureFlagStore(direct, { tableName: table });
    try {
      await store.create('acknowledged');
      proxy.stall();
      const created = await rejection(store.create('maybe-created'));
      const read = await rejection(store.get('acknowledged'));
      expect(created).to.be.instanceOf(OutcomeUnknownError);
      expect(read).to.be.instanceOf(TimeoutError);
      proxy.resume();
      // Acknowledged writes are there; the unknown one may or may not be.
      expect(await truth.get('acknowledged')).not.to.equal(undefined);
    } finally {
      await dropFlagTableAndFeed(direct, table);
      await pool.end();
      await direct.end();
      await proxy.stop();
    }
  });

  it('RPC: a write the server never answers is OutcomeUnknownError; one that could not be sent is ConnectionError', async function () {
    const silent = await new SilentServer().start();
    const hanging = new ThriftRPCFeatureFlagStore({ port: silent.port }, { timeout: 200 });
    const refused = new ThriftRPCFeatureFlagStore({ port: await unusedPort() }, { timeout: 200 });
    try {
      expect(await rejection(hanging.set('f', true))).to.be.instanceOf(OutcomeUnknownError);
      expect(await rejection(hanging.get('f'))).to.be.instanceOf(TimeoutError);
      const notSent = await rejection(refused.set('f', true));
      expect(notSent).to.be.instanceOf(ConnectionError);
    } finally {
      await hanging.close();
      await refused.close();
      await silent.close();
    }
  });
});

describe('the wire codes of the new outcomes', function () {
  it('OutcomeUnknownError is OUTCOME_UNKNOWN and ConflictError CONFLICT, both ways', function () {
    const codes = thriftTypes().ErrorCode;
    const unknown = errorToThrift(new OutcomeUnknownError('Redis SET did not finish; the write may have been applied'));
    const conflict = errorToThrift(new ConflictError('changed'));
    expect(unknown.code).to.equal(codes.OUTCOME_UNKNOWN);
    expect(conflict.code).to.equal(codes.CONFLICT);
    expect(errorFromThrift(unknown)).to.be.instanceOf(OutcomeUnknownError);
    expect(errorFromThrift(unknown).message).to.match(/may have been applied/);
    expect(errorFromThrift(conflict)).to.be.instanceOf(ConflictError);
  });
});
