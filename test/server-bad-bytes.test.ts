import { expect } from 'chai';
import { connect } from 'node:net';
import { MessageType, TType } from '../shared/thrift/wire';
import { residentBytes } from './helpers/flag-server-process';
import { MAX_MESSAGE, describeAgainstGuardedServer } from './helpers/guarded-server';
import {
  decodeReply,
  encodeCall,
  exchange,
  randomBytes,
  seededRandom,
  stringField,
  type WireFormat,
} from './helpers/raw-thrift';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
const FUZZ_CASES = Number(process.env.FUZZ_CASES ?? 1500);

/** True when the server must close on these first bytes whatever follows (they cannot start a message). */
function mustClose(format: WireFormat, payload: Buffer): boolean {
  if (payload.length < 4) return false;
  if (format.transport === 'framed') {
    const length = payload.readInt32BE(0);
    return length <= 0 || length > MAX_MESSAGE;
  }
  if (format.protocol === 'compact') return payload[0] !== 0x82;
  if (payload[0] === 0x80) return payload[1] !== 0x01;
  return payload[0] !== 0x00;
}

describeAgainstGuardedServer('flag server: hostile bytes close only their connection, the server stays up', (get) => {
  it(`${FUZZ_CASES} seeded random payloads, whole and split: server up, store unchanged, bad connections closed`, async function () {
    const { format, server } = get();
    console.log(`      fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
    const random = seededRandom(SEED);
    const readOnly = ['Get', 'List'];
    const payloads: Buffer[] = [];
    for (let i = 0; i < FUZZ_CASES; i++) {
      const kind = i % 3;
      const body = randomBytes(random, 1 + Math.floor(random() * 400));
      if (kind === 0) payloads.push(body);
      else {
        // A real header of a read-only call, then random bytes: exercises the argument decoding.
        const method = readOnly[Math.floor(random() * readOnly.length)];
        const header = encodeCall(format, method, i, () => {});
        const withoutStop = header.subarray(0, header.length - 1);
        let payload = Buffer.concat([withoutStop, body]);
        if (format.transport === 'framed' && kind === 1) payload.writeInt32BE(payload.length - 4, 0);
        if (kind === 2) payload = Buffer.concat([header, body]);
        payloads.push(payload);
      }
    }
    let closedAsRequired = 0;
    let required = 0;
    let answered = 0;
    for (let i = 0; i < payloads.length; i += 25) {
      await Promise.all(
        payloads.slice(i, i + 25).map(async (payload, k) => {
          const pieces: Buffer[] = [];
          if ((i + k) % 2 === 0) pieces.push(payload);
          else {
            for (let at = 0; at < payload.length;) {
              const size = 1 + Math.floor(random() * 37);
              pieces.push(payload.subarray(at, at + size));
              at += size;
            }
          }
          const must = mustClose(format, payload);
          const result = await exchange(server.port, pieces, { waitMs: must ? 3000 : 30 });
          if (result.received.length > 0) answered++;
          if (must) {
            required++;
            if (result.closed) closedAsRequired++;
          }
        }),
      );
    }
    expect(required, 'the fuzz set includes payloads that must be refused').to.be.greaterThan(100);
    expect(closedAsRequired).to.equal(required);
    // Calls whose header was real reached the argument decoding and got an answer (an error reply).
    expect(answered, 'payloads answered').to.be.greaterThan(FUZZ_CASES / 10);
  });

  it('length prefixes of 0x7fffffff (frame, string, list, map): refused at once, memory bounded', async function () {
    const { format, server } = get();
    const rssBefore = residentBytes(server.child.pid!);
    const claim = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
    const header = encodeCall(format, 'Get', 1, () => {});
    const open = header.subarray(0, header.length - 1); // the args struct, still open
    const binaryBodies = [
      Buffer.concat([Buffer.from([TType.STRING, 0, 1]), claim]),
      Buffer.concat([Buffer.from([TType.LIST, 0, 3, TType.MAP]), claim]),
      Buffer.concat([Buffer.from([TType.MAP, 0, 3, TType.STRING, TType.LIST]), claim]),
    ];
    const varint = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07]);
    const compactBodies = [
      Buffer.concat([Buffer.from([0x18]), varint]), // field 1, binary, length 0x7fffffff
      Buffer.concat([Buffer.from([0x39, 0xfb]), varint]), // field 3, list of maps, size 0x7fffffff
      Buffer.concat([Buffer.from([0x3b]), varint, Buffer.from([0x89])]), // field 3, map, size 0x7fffffff
    ];
    const bodies = format.protocol === 'binary' ? binaryBodies : compactBodies;
    const attempts: Buffer[] = [];
    if (format.transport === 'framed') {
      attempts.push(Buffer.concat([claim, Buffer.alloc(64)]));
      // Inside a small frame, the claims cannot be met by the bytes the frame holds.
      for (const body of bodies) {
        const inner = Buffer.concat([open.subarray(4), body]);
        const frame = Buffer.alloc(4);
        frame.writeInt32BE(inner.length);
        attempts.push(Buffer.concat([frame, inner]));
      }
    } else {
      for (const body of bodies) attempts.push(Buffer.concat([open, body]));
    }
    for (let round = 0; round < 10; round++) {
      for (const attempt of attempts) {
        const result = await exchange(server.port, [attempt], { waitMs: 3000, enough: (b) => b.length > 0 });
        // Refused: the connection is closed, or (inside a well-formed frame) the call is answered with an error.
        if (result.received.length === 0) expect(result.closed, attempt.toString('hex')).to.equal(true);
        else {
          const reply = decodeReply(format.protocol, result.received.subarray(format.transport === 'framed' ? 4 : 0));
          expect(reply.mtype).to.equal(MessageType.EXCEPTION);
        }
      }
    }
    const grown = residentBytes(server.child.pid!) - rssBefore;
    expect(grown, `resident memory grew by ${grown} bytes`).to.be.lessThan(64 * 1024 * 1024);
  });

  it('a message over the size limit closes only its own connection', async function () {
    const { format, server } = get();
    const big = encodeCall(format, 'Get', 1, (w) => stringField(w, 1, 'x'.repeat(MAX_MESSAGE + 10)));
    const result = await exchange(server.port, [big], { waitMs: 3000 });
    expect(result.closed).to.equal(true);
    expect(result.received.length).to.equal(0);
  });

  it('deep nesting is refused', async function () {
    const { format, server } = get();
    const header = encodeCall(format, 'Get', 1, () => {});
    const open = header.subarray(0, header.length - 1);
    const level = format.protocol === 'binary' ? Buffer.from([TType.STRUCT, 0, 9]) : Buffer.from([0x9c]);
    let nested = Buffer.concat([open, ...Array.from({ length: 200 }, () => level)]);
    if (format.transport === 'framed') nested.writeInt32BE(nested.length - 4, 0);
    else nested = Buffer.from(nested);
    const result = await exchange(server.port, [nested], { waitMs: 3000, enough: (b) => b.length > 0 });
    if (result.received.length === 0) expect(result.closed).to.equal(true);
    else {
      const reply = decodeReply(format.protocol, result.received.subarray(format.transport === 'framed' ? 4 : 0));
      expect(reply.application?.message).to.match(/deeper than 64/);
    }
  });

  it('an HTTP request is answered 400 and closed at once', async function () {
    const { server } = get();
    const result = await exchange(server.port, [Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')], {
      waitMs: 3000,
    });
    expect(result.closed).to.equal(true);
    expect(result.received.toString('latin1')).to.match(/^HTTP\/1.1 400 Bad Request/);
    const post = await exchange(server.port, [Buffer.from('POST /flags HTTP/1.1\r\n')], { waitMs: 3000 });
    expect(post.closed).to.equal(true);
  });

  it('a client vanishing mid-call, or right after sending one, leaves the server serving and nothing half-written', async function () {
    const { format, server } = get();
    const create = encodeCall(format, 'Create', 9, (w) => stringField(w, 1, 'half-sent'));
    for (let i = 0; i < 20; i++) {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(create.subarray(0, 5 + (i % (create.length - 6))));
      socket.destroy();
    }
    for (let i = 0; i < 20; i++) {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(encodeCall(format, 'List', i, () => {}));
      socket.destroy();
    }
  });
});
