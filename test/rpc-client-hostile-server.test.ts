import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { Socket } from 'node:net';
import { ConnectionError, MemoryFeatureFlagStore, MessageTooLargeError, TimeoutError } from '../client';
import { ThriftRPCFeatureFlagStore } from '../client/stores/thrift-rpc-store';
import { FlagServer } from '../server/flag-server';
import {
  emptyStructsListPageReply,
  emptyStructsListReply,
  HostileServer,
  replyHead,
  type HostileReply,
} from './helpers/hostile-server';
import { quietLogger } from './helpers/rpc-served';
import { checkEachTestForLeaks } from './helpers/leak-guard';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Heap plus buffers, in MiB, after full collections: what the process keeps. Buffers' memory is
 * released a little after the collection that finds them dead, hence several, a few ms apart.
 */
async function retainedMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

const TIMEOUT = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 4);

/** A Get reply whose item has one condition holding `count` empty checks (one byte each). */
function emptyChecksGetReply(seqid: number, count: number): Buffer {
  const head = replyHead('Get', seqid, 12 /* STRUCT: the item */);
  const name = Buffer.from([11, 0, 1, 0, 0, 0, 1, 0x66]); // field 1 STRING "f"
  // field 3 STRUCT meta { field 3 LIST<MAP> [ { "" : LIST<STRUCT>[count empty structs] } ] }
  const meta = Buffer.from([12, 0, 3, 15, 0, 3, 13, 0, 0, 0, 1, 11, 15, 0, 0, 0, 1, 0, 0, 0, 0, 12]);
  const count4 = Buffer.alloc(4);
  count4.writeInt32BE(count);
  // count empty checks, then the STOPs of meta, item and result.
  return Buffer.concat([head, name, meta, count4, Buffer.alloc(count + 3)]);
}

/** Writes `bytes` a chunk at a time, without end, until the socket closes. */
function trickleForever(socket: Socket, chunk: Buffer, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed) clearInterval(timer);
    else socket.write(chunk);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

interface Case {
  name: string;
  reply: HostileReply;
  call: (store: ThriftRPCFeatureFlagStore) => Promise<unknown>;
  /** The typed error the call ends with. */
  error: new (...args: never[]) => Error;
  maxMessageBytes?: number;
  /** The hostile server implements ListPage (by default it answers UNKNOWN_METHOD, as Python's does). */
  answersListPage?: boolean;
}

const CASES: Case[] = [
  {
    name: 'garbage (1 MiB of random bytes)',
    reply: (socket) => socket.write(randomBytes(1 << 20)),
    call: (store) => store.get('f'),
    error: ConnectionError,
  },
  {
    name: 'a reply that never ends (a 60 MB string trickling in)',
    reply: (socket, call) => {
      const head = replyHead('Get', call.seqid, 11 /* STRING */);
      const length = Buffer.alloc(4);
      length.writeInt32BE(60_000_000);
      socket.write(Buffer.concat([head, length]));
      trickleForever(socket, Buffer.alloc(16 * 1024, 0x61), 5);
    },
    call: (store) => store.get('f'),
    error: TimeoutError,
  },
  {
    name: 'a reply that never ends, at full speed (over the 8 MiB reply limit)',
    reply: (socket, call) => {
      // As a List reply or a ListPage one (a page struct around the list), whichever was asked.
      const page = call.fname === 'ListPage';
      const head = replyHead(call.fname, call.seqid, page ? 12 /* STRUCT */ : 15 /* LIST */);
      const list = Buffer.from([8 /* I32 */, 0x00, 0x1f, 0xff, 0xff]); // 2 Mi elements of 4 bytes: within the claim
      socket.write(Buffer.concat([head, page ? Buffer.from([15, 0, 1]) : Buffer.alloc(0), list]));
      const chunk = Buffer.alloc(256 * 1024);
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk));
      };
      socket.on('drain', pump);
      pump();
    },
    call: (store) => store.list(),
    // Past maxMessageBytes: the typed error naming the limit (the connection is dropped: the reply has no end).
    error: MessageTooLargeError,
    maxMessageBytes: 8 * 1024 * 1024,
  },
  {
    name: 'a ListPage of 4,000,000 empty structs',
    answersListPage: true,
    reply: (socket, call) => socket.write(emptyStructsListPageReply(call.seqid, 4_000_000)),
    call: async (store) => {
      const items = await store.list();
      expect(items, 'empty structs are not flags').to.deep.equal([]);
      throw new TimeoutError('(no error: an empty list)');
    },
    error: TimeoutError,
  },
  {
    name: 'a server without ListPage: a List of 4,000,000 empty structs',
    reply: (socket, call) => socket.write(emptyStructsListReply(call.seqid, 4_000_000)),
    call: async (store) => {
      const items = await store.list();
      expect(items, 'empty structs are not flags').to.deep.equal([]);
      throw new TimeoutError('(no error: an empty list)');
    },
    error: TimeoutError,
  },
  {
    name: 'a Get whose flag holds 4,000,000 empty condition checks',
    reply: (socket, call) => socket.write(emptyChecksGetReply(call.seqid, 4_000_000)),
    call: (store) => store.get('f'),
    error: ConnectionError,
  },
];

describe('RPC client against a hostile server: each costs at most the deadline and bounded memory, every time', function () {
  this.timeout(60_000);
  checkEachTestForLeaks(this);

  for (const c of CASES) {
    it(c.name, async function () {
      const hostile = await new HostileServer(c.reply, { answersListPage: c.answersListPage }).start();
      const port = hostile.port;
      const store = new ThriftRPCFeatureFlagStore(
        { port, maxMessageBytes: c.maxMessageBytes },
        { timeout: TIMEOUT, reconnect: { initialDelayMs: 0, maxDelayMs: 0 } },
      );
      let good: FlagServer | undefined;
      try {
        await store.get('warm-up').catch(() => undefined);
        const base = await retainedMb();
        const figures: string[] = [];
        let worstPeak = 0;
        for (let round = 0; round < ROUNDS; round++) {
          let peak = 0;
          const sample = () => (peak = Math.max(peak, process.memoryUsage().heapUsed / 2 ** 20));
          const sampler = setInterval(sample, 5);
          const started = Date.now();
          const error = await c.call(store).then(
            () => undefined,
            (e: unknown) => e,
          );
          const ms = Date.now() - started;
          clearInterval(sampler);
          sample();
          worstPeak = Math.max(worstPeak, peak - base);
          figures.push(`${ms} ms`);
          // Or TimeoutError: on a loaded machine the deadline may come first, which is as good.
          expect(
            error instanceof c.error || error instanceof TimeoutError,
            `round ${round}: ${String(error)}`,
          ).to.equal(true);
          expect(ms, `round ${round}`).to.be.at.most(TIMEOUT + 500);
        }
        // What the client keeps, measured once the hostile server (in this process) let go of its sockets.
        await hostile.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const kept = (await retainedMb()) - base;
        console.log(
          `      ${figures.join(', ')}; heap peak +${worstPeak.toFixed(0)} MiB; kept +${kept.toFixed(1)} MiB after ${ROUNDS} rounds`,
        );
        expect(kept, 'MiB kept').to.be.below(32);
        // At most MAX_VALUES_PER_FLAG (1,000,000) values are decoded per flag, whatever the reply's size:
        // 130 to 290 MiB at the peak for the flood of empty checks here, garbage not yet collected
        // included (without the cap, 4,000,000 checks take over a GiB).
        expect(worstPeak, 'MiB of heap at the peak').to.be.below(400);
        // The same client works against a good server on the same port afterwards.
        const backend = new MemoryFeatureFlagStore();
        await backend.create('f', { isEnabled: true });
        good = new FlagServer({ store: backend, port, logger: quietLogger });
        await good.listen();
        // The first call may still meet the hostile server's closing connection.
        const first = await store.get('f').catch((error: unknown) => error);
        if (first instanceof ConnectionError) await new Promise((resolve) => setTimeout(resolve, 50));
        else expect(first).to.have.property('isEnabled', true);
        expect((await store.get('f'))?.isEnabled).to.equal(true);
        expect((await store.list()).map((item) => item.featureName)).to.deep.equal(['f']);
      } finally {
        await store.close();
        await hostile.close().catch(() => undefined);
        await good?.close();
      }
    });
  }
});
