import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import {
  ConnectionError,
  InvalidArgumentError,
  MemoryFeatureFlagStore,
  TimeoutError,
  ThriftRPCFeatureFlagStore,
} from '../client';
import { FlagServer } from '../server/flag-server';
import { recordingLogger } from './helpers/broken-store';
import { failure } from './helpers/controlled-store';
import { checkEachTestForLeaks } from './helpers/leak-guard';
import { quietLogger } from './helpers/rpc-served';
import { SilentServer, unusedPort } from './helpers/tcp-faults';

/** A server that accepts, waits for `calls` requests' worth of bytes, then drops every connection. */
class DroppingServer {
  port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly afterBytes: number) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      let received = 0;
      socket.on('error', () => {});
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= this.afterBytes) socket.destroy();
      });
    });
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function timed<T>(work: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await failure(work);
  return { error, ms: Date.now() - started };
}

describe('ThriftRPCFeatureFlagStore: faults on the client side', function () {
  this.timeout(20_000);
  checkEachTestForLeaks(this);

  it('the server dropping the connection with calls in flight: each rejects with ConnectionError at once; the next call reconnects', async function () {
    const dropping = await new DroppingServer(200).start();
    const port = dropping.port;
    const store = new ThriftRPCFeatureFlagStore({ port }, { timeout: 5000, logger: quietLogger });
    try {
      const calls = Array.from({ length: 10 }, (_, i) => timed(store.get(`flag-${i}`)));
      for (const { error, ms } of await Promise.all(calls)) {
        expect(error).to.be.instanceOf(ConnectionError);
        expect(ms, 'well before the 5 s deadline').to.be.lessThan(4000);
      }
      await dropping.close();
      // The server comes back on the same port: the same store reconnects.
      const backend = new MemoryFeatureFlagStore();
      await backend.create('back', { isEnabled: true });
      const real = new FlagServer({ store: backend, port, logger: quietLogger });
      await real.listen();
      try {
        expect((await store.get('back'))?.isEnabled).to.equal(true);
      } finally {
        await store.close();
        await real.close();
      }
    } finally {
      await store.close();
      await dropping.close().catch(() => {});
    }
  });

  it('a server that accepts and never answers: TimeoutError after the per-call timeout', async function () {
    const silent = await new SilentServer().start();
    const store = new ThriftRPCFeatureFlagStore({ port: silent.port }, { timeout: 300 });
    try {
      const { error, ms } = await timed(store.get('x'));
      expect(error).to.be.instanceOf(TimeoutError);
      expect((error as Error).message).to.match(/Get .* did not finish within 300 ms/);
      expect(ms).to.be.within(250, 3000);
    } finally {
      await store.close();
      await silent.close();
    }
  });

  it('a refused connection: ConnectionError at once, logged once however many calls fail, and again once back', async function () {
    const port = await unusedPort();
    const logger = recordingLogger();
    const store = new ThriftRPCFeatureFlagStore({ port }, { timeout: 2000, logger });
    try {
      for (let i = 0; i < 3; i++) {
        const { error, ms } = await timed(store.get('x'));
        expect(error).to.be.instanceOf(ConnectionError);
        expect((error as Error).message).to.match(new RegExp(`127.0.0.1:${port}`));
        expect(ms).to.be.lessThan(1500);
      }
      expect(logger.lines.filter((l) => l.level === 'warn')).to.have.length(1);
      const server = new FlagServer({ store: new MemoryFeatureFlagStore(), port, logger: quietLogger });
      await server.listen();
      try {
        expect(await store.get('x')).to.equal(undefined);
        expect(logger.lines.filter((l) => l.level === 'info')).to.have.length(1);
      } finally {
        await store.close();
        await server.close();
      }
    } finally {
      await store.close();
    }
  });

  it('close() fails calls in flight with ConnectionError and leaves no timer or socket behind', async function () {
    const silent = await new SilentServer().start();
    const store = new ThriftRPCFeatureFlagStore({ port: silent.port }, { timeout: 10_000 });
    const calls = Array.from({ length: 5 }, () => failure(store.get('x')));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.close();
    for (const error of await Promise.all(calls)) expect(error).to.be.instanceOf(ConnectionError);
    expect(await failure(store.get('x'))).to.be.instanceOf(ConnectionError);
    await store.close(); // twice is fine
    // The silent server never reads, so it only notices when it closes its end itself. No timer
    // or socket is left: the root hook checks (checkEachTestForLeaks above).
    await silent.close();
  });

  it('a server that answers with bytes that are not a reply: ConnectionError, and the next call reconnects', async function () {
    let connections = 0;
    const liar = createServer((socket) => {
      connections++;
      socket.on('error', () => {});
      socket.on('data', () => socket.write(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')));
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    const store = new ThriftRPCFeatureFlagStore({ port: (liar.address() as { port: number }).port }, { timeout: 2000 });
    try {
      expect(await failure(store.get('x'))).to.be.instanceOf(ConnectionError);
      expect(await failure(store.get('x'))).to.be.instanceOf(ConnectionError);
      expect(connections).to.equal(2);
    } finally {
      await store.close();
      await new Promise<void>((resolve) => liar.close(() => resolve()));
    }
  });

  it('refuses bad options and bad pages before any I/O, with typed errors', async function () {
    expect(() => new ThriftRPCFeatureFlagStore({ transport: 'zmq' as never })).to.throw(
      InvalidArgumentError,
      /transport/,
    );
    expect(() => new ThriftRPCFeatureFlagStore({}, { timeout: 0 })).to.throw(InvalidArgumentError, /timeout/);
    const store = new ThriftRPCFeatureFlagStore({ port: await unusedPort() });
    expect(await failure(store.list({ limit: -1 }))).to.be.instanceOf(InvalidArgumentError);
    await store.close();
  });
});
