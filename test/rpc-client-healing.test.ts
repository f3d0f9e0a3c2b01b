import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { ConnectionError, MemoryFeatureFlagStore, TimeoutError } from '../client';
import { Backoff } from '../client/calls/backoff';
import { ThriftRPCFeatureFlagStore } from '../client/stores/thrift-rpc-store';
import { serve } from './helpers/rpc-served';
import { TcpProxy, unusedPort } from './helpers/tcp-faults';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Accepts connections and closes them at once, counting them: a server that is up but broken. */
async function closingServer(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, accepted: () => accepted };
}

describe('RPC client: connections that heal', function () {
  this.timeout(30_000);

  it('a frozen connection is replaced: the client answers again within twice its timeout', async function () {
    const backend = new MemoryFeatureFlagStore();
    await backend.create('f', { isEnabled: true });
    const s = await serve(backend);
    const proxy = await new TcpProxy(s.port).start();
    const timeout = 500;
    const store = new ThriftRPCFeatureFlagStore({ port: proxy.port }, { timeout });
    try {
      expect((await store.get('f'))?.isEnabled).to.equal(true);
      proxy.freeze();
      const frozenAt = Date.now();
      const errors: unknown[] = [];
      let recovered = 0;
      while (Date.now() - frozenAt < 4 * timeout) {
        try {
          if ((await store.get('f'))?.isEnabled === true) {
            recovered = Date.now() - frozenAt;
            break;
          }
        } catch (error) {
          errors.push(error);
        }
        await sleep(20);
      }
      console.log(`      recovered ${recovered} ms after the freeze (timeout ${timeout} ms)`);
      expect(errors[0], 'the call on the frozen connection').to.be.instanceOf(TimeoutError);
      expect(recovered, 'ms to recover')
        .to.be.above(0)
        .and.at.most(2 * timeout);
    } finally {
      await store.close();
      await proxy.stop();
      await s.close();
    }
  });

  it('other calls on a connection dropped as stuck keep their deadlines (TimeoutError, not ConnectionError)', async function () {
    const s = await serve(new MemoryFeatureFlagStore());
    const proxy = await new TcpProxy(s.port).start();
    const store = new ThriftRPCFeatureFlagStore({ port: proxy.port }, { timeout: 300 });
    try {
      await store.get('warm');
      proxy.freeze();
      const first = store.get('a').catch((error: unknown) => error);
      await sleep(100);
      const second = store.get('b').catch((error: unknown) => error);
      expect(await first).to.be.instanceOf(TimeoutError);
      expect(await second).to.be.instanceOf(TimeoutError);
      expect(await store.get('c')).to.equal(undefined);
    } finally {
      await store.close();
      await proxy.stop();
      await s.close();
    }
  });

  it('20 clients against a server that closes every connection make at most a few attempts a second each', async function () {
    const broken = await closingServer();
    const stores = Array.from(
      { length: 20 },
      () => new ThriftRPCFeatureFlagStore({ port: broken.port }, { timeout: 500 }),
    );
    const seconds = 3;
    try {
      const calls = await callUntilFailing(stores, seconds);
      const perClientPerSecond = broken.accepted() / stores.length / seconds;
      console.log(
        `      ${calls} calls, ${broken.accepted()} connection attempts: ${perClientPerSecond.toFixed(1)} per client per second`,
      );
      expect(perClientPerSecond).to.be.at.most(4);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await new Promise((resolve) => broken.server.close(resolve));
    }
  });

  it('20 clients against a dead server (connections refused) make at most a few attempts a second each', async function () {
    const port = await unusedPort();
    // Counts the attempts themselves: nothing listens, so nothing can count them on the far side.
    // The module object itself (an ES namespace import is read-only), whose `connect` the client calls.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const net = require('node:net') as typeof import('node:net');
    let attempts = 0;
    const original = net.connect;
    (net as { connect: unknown }).connect = (...args: Parameters<typeof net.connect>) => {
      if ((args[0] as { port?: number }).port === port) attempts++;
      return original(...args);
    };
    const stores = Array.from({ length: 20 }, () => new ThriftRPCFeatureFlagStore({ port }, { timeout: 500 }));
    const seconds = 3;
    try {
      const calls = await callUntilFailing(stores, seconds);
      const perClientPerSecond = attempts / stores.length / seconds;
      console.log(
        `      ${calls} calls, ${attempts} connection attempts: ${perClientPerSecond.toFixed(1)} per client per second`,
      );
      expect(attempts, 'attempts counted').to.be.above(stores.length);
      expect(perClientPerSecond).to.be.at.most(4);
    } finally {
      (net as { connect: unknown }).connect = original;
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('backoff: capped, jittered, exponential; the randomness is injectable; a success resets it', function () {
    const low = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0 });
    const high = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 });
    const lows = Array.from({ length: 7 }, () => Math.round(low.failed(0)));
    const highs = Array.from({ length: 7 }, () => Math.round(high.failed(0)));
    expect(lows).to.deep.equal([50, 100, 200, 400, 500, 500, 500]);
    expect(highs).to.deep.equal([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(low.waitMs(0)).to.equal(500);
    low.succeeded();
    expect(low.waitMs(0)).to.equal(0);
    expect(Math.round(low.failed(0))).to.equal(50);
  });
});

/** Every store calls `get` in a loop for `seconds`, each call failing; the number of calls made. */
async function callUntilFailing(stores: readonly ThriftRPCFeatureFlagStore[], seconds: number): Promise<number> {
  let calls = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    stores.map(async (store) => {
      while (Date.now() < until) {
        calls++;
        const error = await store.get('x').catch((e: unknown) => e);
        // ConnectionError, or TimeoutError when the wait for the next attempt outlasts the call.
        expect(error instanceof ConnectionError || error instanceof TimeoutError, String(error)).to.equal(true);
        await sleep(5);
      }
    }),
  );
  return calls;
}
