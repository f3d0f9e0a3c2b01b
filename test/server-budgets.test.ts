import { expect } from 'chai';
import type { Socket } from 'node:net';
import { Condition, FeatureFlagClient, MemoryFeatureFlagStore } from '../client';
import { ThriftRPCFeatureFlagStore } from '../client/stores/thrift-rpc-store';
import { MessageAssembler, TType } from '../shared/thrift/wire';
import { residentBytes, startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { encodeCall } from './helpers/raw-thrift';
import { serve } from './helpers/rpc-served';
import { recordingLogger } from './helpers/broken-store';
import { FlagServer } from '../server/flag-server';
import { waitFor } from './helpers/controlled-store';
import { openSocket, socketClosed } from './helpers/raw-sockets';

const FORMAT = { transport: 'buffered', protocol: 'binary' } as const;
const MIB = 1024 * 1024;

function getCall(name: string, seqid = 1): Buffer {
  return encodeCall(FORMAT, 'Get', seqid, (w) => {
    w.writeFieldBegin('feature_name', TType.STRING, 1);
    w.writeString(name);
    w.writeFieldEnd();
  });
}

const open = openSocket;

const closed = socketClosed;

/** Counts the whole reply messages a socket receives. */
function countReplies(socket: Socket): { count: () => number } {
  const assembler = new MessageAssembler({ ...FORMAT, maxMessageBytes: 1 << 24 });
  let count = 0;
  socket.on('data', (chunk: Buffer) => assembler.push(chunk, () => (count++, true)));
  return { count: () => count };
}

/** One Get on a fresh connection from `localAddress`; resolves true once a reply arrives, false if closed first. */
async function answered(port: number, localAddress: string, name: string, waitMs = 3000): Promise<boolean> {
  let socket: Socket;
  try {
    socket = await open(port, localAddress);
  } catch {
    return false;
  }
  socket.on('error', () => {});
  const replies = countReplies(socket);
  socket.write(getCall(name));
  const started = Date.now();
  while (Date.now() - started < waitMs) {
    if (replies.count() > 0) {
      socket.destroy();
      return true;
    }
    if (socket.destroyed) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  socket.destroy();
  return false;
}

/** The bytes of one reply to a Get of 'big'. */
async function bigReply(port: number): Promise<Buffer> {
  const socket = await open(port);
  const assembler = new MessageAssembler({ ...FORMAT, maxMessageBytes: 1 << 24 });
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) =>
        assembler.push(chunk, (buf, start, end) => (resolve(Buffer.from(buf.subarray(start, end))), false)),
      );
      socket.write(getCall('big'));
    });
  } finally {
    socket.destroy();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('flag server: budgets per connection and per address', function () {
  this.timeout(60_000);

  describe('ten connections pipelining Gets of a 1 MB flag and never reading', function () {
    let server: ServerProcess | undefined;

    afterEach(async function () {
      await server?.stop('SIGKILL');
      server = undefined;
    });

    it('grow the server by at most their output budgets plus 50 MB; another client is served in under 50 ms', async function () {
      const budget = 8 * MIB;
      // The message and flag size limits (default 1 MiB and 512 KiB) are raised so the test can make its 1 MB flag.
      server = await startServerProcess([
        '--store',
        'memory',
        '--max-message-bytes',
        String(4 * MIB),
        '--max-flag-bytes',
        String(4 * MIB),
        '--max-pending-bytes',
        String(budget),
      ]);
      const pid = server.child.pid!;
      const other = new ThriftRPCFeatureFlagStore({ port: server.port });
      const hogs: Socket[] = [];
      try {
        // One condition of ~1 MB (over the default flag size limit, raised above).
        await other.create('big', { isEnabled: true });
        const users = Array.from({ length: 50_000 }, (_, i) => `user-${String(i).padStart(15, '0')}`);
        await new FeatureFlagClient(other).addCondition('big', new Condition({ user__in: users }));
        await other.create('small', { isEnabled: true });
        expect((await other.get('small'))?.isEnabled).to.equal(true);
        const size = (await bigReply(server.port)).length;
        expect(size, 'the big reply').to.be.within(MIB, 2 * MIB);
        const before = residentBytes(pid);
        // About 64 KiB of calls, each asking for the 1 MB flag.
        const calls = Buffer.concat(Array.from({ length: 2400 }, (_, i) => getCall('big', i)));
        for (let i = 0; i < 10; i++) {
          const hog = await open(server.port);
          hog.on('error', () => {});
          hog.pause(); // never reads: replies pile up in the kernel, then in the server
          hog.write(calls);
          hogs.push(hog);
        }
        let peak = before;
        const latencies: number[] = [];
        const until = Date.now() + 4000;
        while (Date.now() < until) {
          const started = process.hrtime.bigint();
          expect((await other.get('small'))?.isEnabled).to.equal(true);
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          peak = Math.max(peak, residentBytes(pid));
          await sleep(50);
        }
        const growth = peak - before;
        latencies.sort((a, b) => a - b);
        const worst = latencies[latencies.length - 1];
        console.log(
          `      RSS ${(before / MIB).toFixed(0)} MB -> peak ${(peak / MIB).toFixed(0)} MB (+${(growth / MIB).toFixed(0)} MB);` +
            ` other client's Get over ${latencies.length} calls: median ${latencies[latencies.length >> 1].toFixed(1)} ms, max ${worst.toFixed(1)} ms`,
        );
        expect(growth, 'RSS growth').to.be.at.most(10 * budget + 50 * MIB);
        expect(worst, "the other client's slowest Get (ms)").to.be.below(50);
      } finally {
        for (const hog of hogs) hog.destroy();
        await other.close();
      }
    });
  });

  it('a connection over its output budget is read again once its peer takes the replies', async function () {
    const store = new MemoryFeatureFlagStore();
    await store.create('big', { clientData: { blob: 'y'.repeat(200_000) } });
    const s = await serve(store, { server: { maxPendingBytes: 64 * 1024 } });
    try {
      const socket = await open(s.port);
      socket.on('error', () => {});
      socket.pause();
      const replies = countReplies(socket);
      socket.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => getCall('big', i))));
      await sleep(500);
      socket.resume();
      await waitFor(() => replies.count() === 50, 10_000, 'all 50 replies');
      socket.destroy();
    } finally {
      await s.close();
    }
  });

  describe('per-address connection limit', function () {
    async function lockout(maxConnectionsPerIp: number): Promise<boolean> {
      const store = new MemoryFeatureFlagStore();
      await store.create('f', { isEnabled: true });
      const s = await serve(store, { server: { maxConnections: 50, maxConnectionsPerIp, idleTimeoutMs: 30_000 } });
      const slow: Socket[] = [];
      const call = getCall('f');
      try {
        for (let i = 0; i < 50; i++) {
          const socket = await open(s.port, '127.0.0.1');
          socket.on('error', () => {});
          // A slow client: one byte of a call now and then, so it is never idle.
          socket.write(call.subarray(0, 1));
          slow.push(socket);
        }
        await sleep(200);
        return await answered(s.port, '127.0.0.2', 'f');
      } finally {
        for (const socket of slow) socket.destroy();
        await s.close();
      }
    }

    it('50 slow clients from 127.0.0.1 at --max-connections-per-ip 10 do not lock out a client from 127.0.0.2', async function () {
      expect(await lockout(10)).to.equal(true);
    });

    it('(without the per-address limit they would: the test can fail)', async function () {
      expect(await lockout(1000)).to.equal(false);
    });
  });

  describe('message deadline', function () {
    it('starts at the first byte of a message: a 1-byte trickle is cut at the deadline', async function () {
      const s = await serve(new MemoryFeatureFlagStore(), { server: { idleTimeoutMs: 1000 } });
      try {
        const call = getCall('x'.repeat(50));
        const socket = await open(s.port);
        socket.on('error', () => {});
        let sent = 0;
        const started = Date.now();
        socket.write(call.subarray(sent, ++sent));
        const trickle = setInterval(() => {
          if (!socket.destroyed) socket.write(call.subarray(sent, ++sent));
        }, 400);
        try {
          await closed(socket);
        } finally {
          clearInterval(trickle);
        }
        const lived = Date.now() - started;
        console.log(`      trickle cut ${lived} ms after its first byte (deadline 1000 ms), after ${sent} bytes`);
        // Counted from the 4th byte it would live past 2200 ms.
        expect(lived).to.be.within(1000, 1700);
      } finally {
        await s.close();
      }
    });

    it('does not cut a client sending whole calls back to back, each in time', async function () {
      const s = await serve(new MemoryFeatureFlagStore(), { server: { idleTimeoutMs: 1000 } });
      try {
        const socket = await open(s.port);
        socket.on('error', () => {});
        const replies = countReplies(socket);
        const call = getCall('flag');
        const half = call.length >> 1;
        // Each write ends one call and starts the next, so part of a call is always buffered.
        socket.write(call.subarray(0, half));
        for (let i = 0; i < 10; i++) {
          await sleep(300);
          expect(socket.destroyed, `still open after ${i} calls`).to.equal(false);
          socket.write(Buffer.concat([call.subarray(half), call.subarray(0, half)]));
        }
        await waitFor(() => replies.count() === 10, 3000, 'ten replies');
        expect(socket.destroyed).to.equal(false);
        socket.destroy();
      } finally {
        await s.close();
      }
    });
  });

  describe('startup warning', function () {
    async function warningsListeningOn(host: string): Promise<string[]> {
      const logger = recordingLogger();
      const server = new FlagServer({ store: new MemoryFeatureFlagStore(), host, port: 0, logger });
      await server.listen();
      await server.close();
      return logger.at('warn').map((line) => line.msg ?? '');
    }

    it('warns once when listening beyond loopback (the service has no authentication), not on loopback', async function () {
      const exposed = await warningsListeningOn('0.0.0.0');
      expect(exposed).to.have.length(1);
      expect(exposed[0]).to.match(/beyond loopback.*no authentication/);
      expect(await warningsListeningOn('127.0.0.1')).to.deep.equal([]);
      expect(await warningsListeningOn('127.0.0.2')).to.deep.equal([]);
    });
  });
});
