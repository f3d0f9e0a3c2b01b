// The places that log a change of state through StateChangeLog: the server's store calls, the RPC
// connection, and the client's failing flags. Each logs a spell once, then its end with a count.
import { expect } from 'chai';
import { FeatureFlagClient, InvalidItemError, ThriftRPCFeatureFlagStore } from '../client';
import { recordingLogger } from './helpers/broken-store';
import { ControlledStore, failure } from './helpers/controlled-store';
import { serve } from './helpers/rpc-served';
import { TcpProxy } from './helpers/tcp-faults';

/** A store holding flag `f` (on), whose reads fail the `failing` first times. */
async function storeFailingReads(failing: number): Promise<ControlledStore> {
  const store = new ControlledStore();
  await store.create('f', { isEnabled: true });
  let reads = 0;
  const get = store.get.bind(store);
  store.get = (name) => {
    store.failReads = reads++ < failing;
    return get(name);
  };
  return store;
}

describe('state changes logged once (StateChangeLog users)', function () {
  it('the server logs a spell of store failures once, with its stack, and its end with the count', async function () {
    const logger = recordingLogger();
    const s = await serve(await storeFailingReads(3), { server: { logger } });
    try {
      for (let i = 0; i < 3; i++) await failure(s.rpc.get('f'));
      await s.rpc.get('f');
      await s.rpc.get('f');
      const lines = logger.lines.filter((l) => l.level !== 'debug');
      expect(lines.map((l) => [l.level, l.msg])).to.deep.equal([
        ['error', 'call failed: store error'],
        ['info', 'store calls work again after 3 failed calls'],
      ]);
      expect((lines[0].obj as { err: Error }).err.stack).to.match(/backend down/);
    } finally {
      await s.close();
    }
  });

  it('the RPC connection logs losing the server once, and the reconnection with the failures counted', async function () {
    const s = await serve(new ControlledStore());
    const proxy = await new TcpProxy(s.port).start();
    const logger = recordingLogger();
    const rpc = new ThriftRPCFeatureFlagStore({ port: proxy.port }, { logger, timeout: 500 });
    try {
      expect(await rpc.get('f')).to.equal(undefined);
      await proxy.stop();
      for (let i = 0; i < 2; i++) await failure(rpc.get('f'));
      expect(logger.lines.map((l) => [l.level, l.msg])).to.deep.equal([['warn', 'the flag server is unreachable']]);
      expect(logger.lines[0].obj).to.include({ target: `127.0.0.1:${proxy.port}` });
      await proxy.start();
      expect(await rpc.get('f')).to.equal(undefined);
      expect(logger.lines.map((l) => l.level)).to.deep.equal(['warn', 'info']);
      expect(logger.lines[1].msg).to.match(/^connected to the flag server again after [1-9]\d* connection failures?$/);
    } finally {
      await rpc.close();
      await proxy.stop();
      await s.close();
    }
  });

  it('the client logs a store outage once, whatever the number of flags, and its end with the count', async function () {
    const logger = recordingLogger();
    const client = new FeatureFlagClient(await storeFailingReads(4), { logger });
    for (let i = 0; i < 4; i++) expect(await client.isEnabled('f')).to.equal(false);
    expect(await client.isEnabled('f')).to.equal(true);
    expect(await client.isEnabled('f')).to.equal(true);
    expect(logger.lines.map((l) => [l.level, l.msg])).to.deep.equal([
      ['warn', 'the store is failing: flags return their defaults'],
      ['info', 'the store answers again after 4 failed evaluations'],
    ]);
    expect(logger.lines[1].obj).to.include({ failures: 4 });
  });

  it('the client logs one line for an outage seen by 50 flags, not one per flag', async function () {
    const logger = recordingLogger();
    const store = new ControlledStore();
    const client = new FeatureFlagClient(store, { logger });
    store.failReads = true;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 50; i++) expect(await client.isEnabled(`flag-${i}`)).to.equal(false);
    }
    store.failReads = false;
    expect(await client.isEnabled('flag-0')).to.equal(false);
    expect(logger.lines.map((l) => [l.level, l.msg])).to.deep.equal([
      ['warn', 'the store is failing: flags return their defaults'],
      ['info', 'the store answers again after 150 failed evaluations'],
    ]);
  });

  it('the client logs a flag whose stored item is broken once per flag, apart from store outages', async function () {
    const logger = recordingLogger();
    const store = new ControlledStore();
    const client = new FeatureFlagClient(store, { logger });
    const get = store.get.bind(store);
    store.get = async (name) => {
      if (name.startsWith('broken')) throw new InvalidItemError(`${name} does not parse`);
      return get(name);
    };
    for (let i = 0; i < 3; i++) {
      expect(await client.isEnabled('broken-1')).to.equal(false);
      expect(await client.isEnabled('broken-2')).to.equal(false);
    }
    expect(logger.lines.map((l) => [l.msg, (l.obj as { flag?: string }).flag])).to.deep.equal([
      ['flag evaluation failed; returning the default', 'broken-1'],
      ['flag evaluation failed; returning the default', 'broken-2'],
    ]);
  });
});
