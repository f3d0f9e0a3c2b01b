import { expect } from 'chai';
import { MemoryFeatureFlagStore } from '../client';
import { RpcConnection } from '../client/rpc/rpc-connection';
import { TimerWheel } from '../server/feed/timer-wheel';
import { feedReplyFromThrift, positionToThrift, type FeedPosition } from '../shared/thrift/feed-mapping';
import { serve, type Served } from './helpers/rpc-served';

// The wire of the change feed, driven call by call: GetSnapshot, then WaitForChanges with every
// kind of cursor, timeouts, many waiters on one timer, and a server closing under waiting polls.
describe('change feed on the wire (GetSnapshot, WaitForChanges)', function () {
  this.timeout(20_000);
  let served: Served;
  let connection: RpcConnection;
  const connect = () =>
    new RpcConnection({
      host: '127.0.0.1',
      port: served.port,
      transport: 'buffered',
      protocol: 'binary',
      timeoutMs: 5000,
      maxMessageBytes: 1 << 20,
    });
  const snapshot = async () => feedReplyFromThrift(await connection.call('GetSnapshot', []));
  const wait = async (since: FeedPosition | null, timeoutMs: number, on = connection) =>
    feedReplyFromThrift(
      await on.call('WaitForChanges', [since === null ? null : positionToThrift(since), timeoutMs], undefined, 10_000),
    );

  beforeEach(async () => {
    served = await serve(new MemoryFeatureFlagStore());
    connection = connect();
  });
  afterEach(async () => {
    await connection.close();
    await served.close();
  });

  it('a snapshot gives every flag and a position; changes after it come with the next position', async () => {
    await served.rpc.create('a', { isEnabled: true });
    const first = await snapshot();
    expect(first.changed.map((i) => i.featureName)).to.deep.equal(['a']);
    const position = first.position!;
    expect(position.version).to.be.greaterThan(0);
    expect(await wait(position, 0)).to.deep.include({ changed: [], deleted: [], snapshotRequired: false });

    await served.rpc.create('b');
    await served.rpc.delete('a');
    const next = await wait(position, 0);
    expect(next.changed.map((i) => i.featureName)).to.deep.equal(['b']);
    expect(next.deleted).to.deep.equal(['a']);
    expect(next.position!.version).to.be.greaterThan(position.version);
    expect(next.position!.storeId).to.equal(position.storeId);
  });

  it('a poll waits for the first change and answers with it', async () => {
    const { position } = await snapshot();
    const started = Date.now();
    const polled = wait(position!, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await served.rpc.set('late', true);
    const reply = await polled;
    expect(reply.changed.map((i) => [i.featureName, i.isEnabled])).to.deep.equal([['late', true]]);
    expect(Date.now() - started).to.be.lessThan(5000);
  });

  it('a poll with nothing to say answers empty, at the same position, after its timeout', async () => {
    const { position } = await snapshot();
    const started = Date.now();
    const reply = await wait(position!, 300);
    expect(Date.now() - started).to.be.within(250, 3000);
    expect(reply).to.deep.include({ changed: [], deleted: [], snapshotRequired: false, position });
  });

  it('snapshot_required for a cursor of another store id, one ahead of the store, or none', async () => {
    const { position } = await snapshot();
    expect((await wait({ storeId: 'another', version: 1 }, 1000)).snapshotRequired).to.equal(true);
    expect(
      (await wait({ storeId: position!.storeId, version: position!.version + 10 }, 1000)).snapshotRequired,
    ).to.equal(true);
    expect((await wait(null, 1000)).snapshotRequired).to.equal(true);
  });

  it('a thousand waiting polls share one timer, and closing the server answers them at once', async () => {
    const { position } = await snapshot();
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    // A connection's first calls are limited to eight until its reply sizes are known: 200 x 5.
    const connections = Array.from({ length: 200 }, connect);
    const polls = connections.flatMap((c) =>
      Array.from({ length: 5 }, () => wait(position!, 60_000, c).catch((error: unknown) => error as Error)),
    );
    const feed = served.server.feed;
    for (let i = 0; i < 100 && feed.waiting < 1000; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(feed.waiting).to.equal(1000);
    // The client's own deadlines are timers in this process too: count only the server's (one wheel).
    const serverTimers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length - timersBefore - 1000;
    expect(serverTimers).to.be.at.most(2);
    const closing = Date.now();
    await served.server.close();
    const replies = await Promise.all(polls);
    expect(Date.now() - closing).to.be.lessThan(3000);
    expect(replies.every((r) => !(r instanceof Error) && !r.snapshotRequired && r.changed.length === 0)).to.equal(true);
    await Promise.all(connections.map((c) => c.close()));
  });
});

describe('TimerWheel', () => {
  it('expires entries in their tick, never before, and removed ones never', () => {
    let now = 1000;
    const wheel = new TimerWheel(100, () => now);
    const expired: string[] = [];
    const entry = (name: string) => ({ tick: 0, expire: () => expired.push(name) });
    const a = entry('a');
    const b = entry('b');
    const c = entry('c');
    wheel.add(a, 150);
    wheel.add(b, 450);
    wheel.add(c, 150);
    expect(wheel.remove(c)).to.equal(true);
    now = 1140;
    wheel.advance();
    expect(expired).to.deep.equal([]);
    now = 1300;
    wheel.advance();
    expect(expired).to.deep.equal(['a']);
    now = 100_000; // a long pause: buckets are walked, not every tick
    wheel.advance();
    expect(expired).to.deep.equal(['a', 'b']);
    expect(wheel.size).to.equal(0);
    wheel.clear();
  });
});
