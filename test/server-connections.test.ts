import { expect } from 'chai';
import type { Socket } from 'node:net';
import { FeatureFlagClient, MemoryFeatureFlagStore, StoreError, type FeatureFlagStore } from '../client';
import { thriftTypes } from '../shared/thrift/mapping';
import { TType } from '../shared/thrift/wire';
import { recordingLogger } from './helpers/broken-store';
import { ControlledStore, failure, gate, waitFor } from './helpers/controlled-store';
import { encodeCall } from './helpers/raw-thrift';
import { serve, type Served, type ServeOptions } from './helpers/rpc-served';
import { openSocket, socketClosed } from './helpers/raw-sockets';

const t = thriftTypes();

const open = openSocket;

const closed = socketClosed;

/**
 * Serves `store` with these server options and runs `test` with a way to open raw sockets to it;
 * then destroys those sockets and closes the server, whatever the test did.
 */
async function withRawSockets(
  store: FeatureFlagStore,
  server: ServeOptions['server'],
  test: (s: Served, openRaw: () => Promise<Socket>) => Promise<void>,
): Promise<void> {
  const s = await serve(store, { server });
  const sockets: Socket[] = [];
  const openRaw = async () => {
    const socket = await open(s.port);
    socket.on('error', () => {}); // the server closing it is what these tests expect
    sockets.push(socket);
    return socket;
  };
  try {
    await test(s, openRaw);
  } finally {
    for (const socket of sockets) socket.destroy();
    await s.close();
  }
}

describe('flag server: connections', function () {
  this.timeout(30_000);

  it('on close: stops accepting, closes idle connections at once, lets calls in flight finish', async function () {
    const store = new ControlledStore();
    await store.create('slow', { isEnabled: true });
    const s = await serve(store, { server: { shutdownTimeoutMs: 20_000 } });
    try {
      const idle = await open(s.port);
      idle.on('error', () => {});
      const readGate = gate();
      store.readGate = readGate.promise;
      const inFlight = s.rpc.get('slow');
      inFlight.catch(() => {}); // awaited below; handled here so an early failure does not also leave it unhandled
      await waitFor(() => store.calls.get === 1, 3000, 'the call to reach the store');
      const closing = s.server.close();
      await closed(idle);
      await waitFor(() => s.server.connectionCount === 1, 3000, 'only the busy connection to be left');
      const refused = await failure(open(s.port));
      expect(refused, 'new connections are refused').to.be.instanceOf(Error);
      readGate.open();
      expect((await inFlight)?.isEnabled).to.equal(true);
      await closing;
      expect(s.server.connectionCount).to.equal(0);
    } finally {
      await s.close();
    }
  });

  it('closes connections idle past the idle timeout; a thousand idle ones do not stop others being served', async function () {
    // All from one address, so past the default per-address limit.
    await withRawSockets(
      new MemoryFeatureFlagStore(),
      { idleTimeoutMs: 1500, maxConnectionsPerIp: 2000 },
      async (s, openRaw) => {
        const sockets: Socket[] = [];
        for (let i = 0; i < 1000; i++) sockets.push(await openRaw());
        await waitFor(() => s.server.connectionCount >= 1000, 5000, '1000 connections');
        await s.rpc.create('served', { isEnabled: true });
        expect((await s.rpc.get('served'))?.isEnabled).to.equal(true);
        await Promise.all(sockets.map(closed));
        await waitFor(() => s.server.connectionCount <= 1, 5000, 'idle connections to close');
      },
    );
  });

  it('closes a client that takes longer than the idle timeout to send one call, one byte at a time', async function () {
    const s = await serve(new MemoryFeatureFlagStore(), { server: { idleTimeoutMs: 400 } });
    try {
      const call = encodeCall({ transport: 'buffered', protocol: 'binary' }, 'Get', 1, (w) => {
        w.writeFieldBegin('feature_name', TType.STRING, 1);
        w.writeString('x'.repeat(100));
        w.writeFieldEnd();
      });
      const slow = await open(s.port);
      slow.on('error', () => {});
      const started = Date.now();
      let sent = 0;
      const trickle = setInterval(() => {
        if (!slow.destroyed && sent < call.length) slow.write(call.subarray(sent, ++sent));
      }, 50);
      try {
        await s.rpc.create('others', { isEnabled: true });
        expect((await s.rpc.get('others'))?.isEnabled, 'others are served meanwhile').to.equal(true);
        await closed(slow);
        expect(Date.now() - started).to.be.within(350, 5000);
        expect(sent).to.be.lessThan(call.length);
      } finally {
        clearInterval(trickle);
      }
    } finally {
      await s.close();
    }
  });

  it('serves at most maxConnections at once and closes the ones beyond', async function () {
    await withRawSockets(new MemoryFeatureFlagStore(), { maxConnections: 5 }, async (s, openRaw) => {
      await s.rpc.create('f'); // the RPC store's own connection is one of the five
      for (let i = 0; i < 4; i++) await openRaw();
      await waitFor(() => s.server.connectionCount === 5, 3000, 'five connections');
      await closed(await openRaw());
      expect(s.server.connectionCount).to.equal(5);
      expect(await s.rpc.get('f')).to.not.equal(undefined);
    });
  });

  it('answers every pipelined call even past the per-connection in-flight cap (it pauses reading meanwhile)', async function () {
    const store = new ControlledStore();
    const s = await serve(store, { server: { maxInFlightPerConnection: 4 } });
    try {
      await s.rpc.create('f', { clientData: { n: 1 } });
      const readGate = gate();
      store.readGate = readGate.promise;
      const reads = Array.from({ length: 100 }, () => s.rpc.get('f'));
      await waitFor(() => store.calls.get >= 4, 3000, 'four reads in the store');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(store.calls.get, 'reading paused at the cap').to.equal(4);
      readGate.open();
      store.readGate = undefined;
      for (const item of await Promise.all(reads)) expect(item?.meta.clientData).to.deep.equal({ n: 1 });
    } finally {
      await s.close();
    }
  });
});

describe('flag server: store failures', function () {
  it('a store error is INTERNAL to the caller, logged once with its stack, and the server keeps serving', async function () {
    const store = new ControlledStore();
    await store.create('f', { isEnabled: true });
    const logger = recordingLogger();
    const s = await serve(store, { server: { logger } });
    try {
      store.failReads = true;
      const error = await failure(s.rpc.get('f'));
      expect(error).to.be.instanceOf(StoreError);
      expect((error as Error).message).to.match(/backend down/);
      const errors = logger.lines.filter((l) => l.level === 'error');
      expect(errors).to.have.length(1);
      const fields = errors[0].obj as { method: string; flag: string; err: Error };
      expect(fields.method).to.equal('Get');
      expect(fields.flag).to.equal('f');
      expect(fields.err.stack).to.match(/backend down/);
      store.failReads = false;
      expect((await s.rpc.get('f'))?.isEnabled).to.equal(true);
      // The Python client sees the code it can tell apart from NOT_FOUND.
      const raw = await failure(
        new Promise((resolve, reject) => {
          store.failReads = true;
          s.rpc.get('f').then(resolve, reject);
        }),
      );
      expect((raw as StoreError).cause)
        .to.be.instanceOf(t.FlipperException)
        .with.property('code', t.ErrorCode.INTERNAL);
    } finally {
      await s.close();
    }
  });

  it('a reply that cannot be encoded becomes INTERNAL, and the next reply on the connection is intact', async function () {
    const store = new ControlledStore();
    await store.create('good', { isEnabled: true });
    const good = (await store.get('good'))!;
    const broken = Object.assign(Object.create(Object.getPrototypeOf(good)), good, { featureName: 42 });
    const logger = recordingLogger();
    const s = await serve(store, { server: { logger } });
    try {
      const get = store.get.bind(store);
      store.get = async (name: string) => (name === 'broken' ? broken : get(name));
      const error = await failure(s.rpc.get('broken'));
      expect(error).to.be.instanceOf(StoreError);
      expect((error as Error).message).to.match(/could not be encoded/);
      expect(logger.lines.filter((l) => l.level === 'error')).to.have.length(1);
      expect((await s.rpc.get('good'))?.isEnabled).to.equal(true);
    } finally {
      await s.close();
    }
  });

  it('isEnabled over RPC returns the default while the store behind the server fails', async function () {
    const store = new ControlledStore();
    await store.create('f', { isEnabled: true });
    const s = await serve(store);
    try {
      const client = new FeatureFlagClient(s.rpc, { logger: recordingLogger() });
      store.failReads = true;
      expect(await client.isEnabled('f', {}, { default: true })).to.equal(true);
      expect(await client.isEnabled('f')).to.equal(false);
      store.failReads = false;
      expect(await client.isEnabled('f')).to.equal(true);
    } finally {
      await s.close();
    }
  });
});
