import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Condition,
  ConsistentHashPercentageBucketer,
  FeatureFlagClient,
  LinearRampPercentage,
  Percentage,
  PercentageBucketer,
} from '../client';
import { RpcConnection } from '../client/rpc/rpc-connection';
import { ThriftRPCFeatureFlagStore } from '../client/stores/thrift-rpc-store';
import { thriftTypes } from '../shared/thrift-mapping';
import { MessageAssembler, MessageType, TType, type ProtocolName, type TransportName } from '../shared/wire';
import { failure } from './helpers/controlled-store';
import { residentBytes, startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import {
  bytesField,
  decodeReply,
  encodeCall,
  exchange,
  randomBytes,
  seededRandom,
  type DecodedReply,
  type WireFormat,
} from './helpers/raw-thrift';

const t = thriftTypes();
const MAX_MESSAGE = 256 * 1024;
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
const FUZZ_CASES = Number(process.env.FUZZ_CASES ?? 1500);

/** Every flag with its meta, as JSON: compared before and after each test. */
async function snapshot(store: ThriftRPCFeatureFlagStore): Promise<string> {
  return JSON.stringify((await store.list()).map((item) => item.toJSON()));
}

function stringField(w: Parameters<Parameters<typeof encodeCall>[3]>[0], id: number, value: string): void {
  w.writeFieldBegin('f', TType.STRING, id);
  w.writeString(value);
  w.writeFieldEnd();
}

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

/** Sends `pieces` on a fresh connection; waits for the server to close it when it must, briefly otherwise. */
function throwAt(port: number, pieces: Buffer[], mustBeClosed: boolean) {
  return exchange(port, pieces, { waitMs: mustBeClosed ? 3000 : 30 });
}

const SETUPS: Array<{ transport: TransportName; protocol: ProtocolName; store: string }> = [
  { transport: 'buffered', protocol: 'binary', store: 'sqlite' },
  { transport: 'framed', protocol: 'compact', store: 'memory' },
];

for (const setup of SETUPS) {
  const format: WireFormat = { transport: setup.transport, protocol: setup.protocol };
  const label = `${setup.transport}/${setup.protocol} over ${setup.store}`;

  describe(`flag server (${label}): bad input is refused, the server stays up and nothing stored changes`, function () {
    this.timeout(120_000);
    let dir: string;
    let server: ServerProcess;
    let store: ThriftRPCFeatureFlagStore;
    let raw: RpcConnection;
    let baseline: string;

    before(async function () {
      dir = mkdtempSync(join(tmpdir(), 'flipper-bad-input-'));
      const storeArg = setup.store === 'sqlite' ? `sqlite:${join(dir, 'flags.db')}` : 'memory';
      server = await startServerProcess([
        '--store',
        storeArg,
        '--transport',
        setup.transport,
        '--protocol',
        setup.protocol,
        '--max-message-bytes',
        String(MAX_MESSAGE),
      ]);
      store = new ThriftRPCFeatureFlagStore({ port: server.port, ...format });
      raw = new RpcConnection({
        host: '127.0.0.1',
        port: server.port,
        ...format,
        timeoutMs: 5000,
        maxMessageBytes: 1 << 24,
      });
      const client = new FeatureFlagClient(store);
      await client.create('existing', { isEnabled: true, clientData: { team: 'growth' } });
      await client.addCondition('existing', new Condition({ age__gte: 18, plan__in: ['pro'] }));
      await client.setBucketer(
        'existing',
        new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.3) }),
      );
      await client.create('ramp', { isEnabled: false });
      await client.setBucketer(
        'ramp',
        new PercentageBucketer({ percentage: new LinearRampPercentage({ initialValue: 0.1, rampDuration: 60 }) }),
      );
      baseline = await snapshot(store);
    });

    afterEach(async function () {
      expect(server.child.exitCode, 'the server process exited').to.equal(null);
      expect(await snapshot(store), 'what the store holds changed').to.equal(baseline);
      expect((await store.get('existing'))?.isEnabled).to.equal(true);
    });

    after(async function () {
      await raw?.close();
      await store?.close();
      expect(await server.stop('SIGTERM')).to.equal(0);
      rmSync(dir, { recursive: true, force: true });
    });

    async function invalid(method: string, args: unknown[]): Promise<string> {
      const error = await failure(raw.call(method as never, args));
      expect(error, `${method} ${JSON.stringify(args).slice(0, 80)}`).to.be.instanceOf(t.FlipperException);
      const exception = error as InstanceType<typeof t.FlipperException>;
      expect(exception.code, exception.message).to.equal(t.ErrorCode.INVALID_ARGUMENT);
      return exception.message;
    }

    const meta = (fields: Record<string, unknown>) => new t.FeatureFlagStoreMeta(fields as never);
    const check = (variable: string, value: string, symbol?: string) =>
      new t.ConditionCheck({ variable, value, operator: new t.ConditionOperator({ symbol }) });

    it('well-framed bad values: INVALID_ARGUMENT naming the problem, and nothing created or changed', async function () {
      const cases: Array<[string, unknown[], RegExp]> = [
        ['Create', ['', true, '{}'], /must not be empty/],
        ['Create', ['x'.repeat(256), true, '{}'], /at most 255 characters, got 256/],
        ['Create', [null, true, '{}'], /feature_name is required/],
        ['Create', ['new-flag', true, 'not json'], /client_data is not valid JSON/],
        ['Create', ['new-flag', true, '[1, 2]'], /client_data must be a JSON object/],
        ['Create', ['new-flag', true, '"text"'], /client_data must be a JSON object/],
        ['Create', ['new-flag', true, JSON.stringify({ big: 'x'.repeat(64 * 1024) })], /over the 65536-byte limit/],
        ['Create', ['new-flag', true, `{"a": ${'['.repeat(80)}${']'.repeat(80)}}`], /deeper than 64/],
        ['Get', ['x'.repeat(256)], /at most 255/],
        ['Set', ['', true], /must not be empty/],
        ['Delete', [null], /feature_name is required/],
        ['List', [-1, null], /limit must be a non-negative integer/],
        ['List', [null, -5], /offset must be a non-negative integer/],
        ['SetMeta', ['existing', null], /meta is required/],
        ['SetMeta', [null, meta({})], /feature_name is required/],
        [
          'SetMeta',
          ['existing', meta({ bucketer: '{"type": "FancyBucketer"}' })],
          /Unknown bucketer type "FancyBucketer"/,
        ],
        ['SetMeta', ['existing', meta({ bucketer: '{oops' })], /bucketer is not valid JSON/],
        [
          'SetMeta',
          ['existing', meta({ bucketer: '{"type": "PercentageBucketer", "percentage": {"type": "Odd"}}' })],
          /Unknown percentage type "Odd"/,
        ],
        [
          'SetMeta',
          ['existing', meta({ conditions: [{ age: [check('age', '3', 'like')] }] })],
          /Unknown condition operator "like"/,
        ],
        ['SetMeta', ['existing', meta({ conditions: [{ age: [check('age', 'three')] }] })], /not valid JSON/],
        ['SetMeta', ['existing', meta({ conditions: [{ plan: [check('plan', '"pro"', 'in')] }] })], /needs a list/],
        ['SetMeta', ['existing', meta({ client_data: '[]' })], /meta.client_data must be a JSON object/],
        // A good field does not get stored when another field of the same call is bad.
        [
          'SetMeta',
          ['existing', meta({ client_data: '{"changed": true}', bucketer: '{"type": 7}' })],
          /Unknown bucketer type/,
        ],
      ];
      for (const [method, args, message] of cases)
        expect(await invalid(method, args), message.source).to.match(message);
    });

    it('every argument unset: a name is required where one is needed, List lists everything', async function () {
      expect(await invalid('Create', [null, null, null])).to.match(/feature_name is required/);
      expect(await invalid('Get', [null])).to.match(/feature_name is required/);
      expect(await invalid('Set', [null, null])).to.match(/feature_name is required/);
      expect(await invalid('Delete', [null])).to.match(/feature_name is required/);
      expect(await invalid('SetMeta', [null, null])).to.match(/feature_name is required/);
      const all = (await raw.call('List', [null, null])) as Array<{ feature_name: string }>;
      expect(all.map((i) => i.feature_name)).to.deep.equal(['existing', 'ramp']);
    });

    it('Get and SetMeta of a missing flag are NOT_FOUND', async function () {
      for (const [method, args] of [
        ['Get', ['missing']],
        ['SetMeta', ['missing', meta({ client_data: '{}' })]],
      ] as const) {
        const error = await failure(raw.call(method, [...args]));
        expect(error, method).to.be.instanceOf(t.FlipperException).with.property('code', t.ErrorCode.NOT_FOUND);
      }
    });

    it('a name that is not UTF-8 is INVALID_ARGUMENT, and the same connection answers the next call', async function () {
      const bad = encodeCall(format, 'Create', 41, (w) => bytesField(w, 1, Buffer.from([0x66, 0xff, 0xfe])));
      const good = encodeCall(format, 'Get', 42, (w) => stringField(w, 1, 'existing'));
      const replies = await readReplies(server.port, format, [bad, good], 2);
      expect(replies[0].exception?.code).to.equal(t.ErrorCode.INVALID_ARGUMENT);
      expect(replies[0].exception?.message).to.match(/not valid UTF-8/);
      expect(replies[1].seqid).to.equal(42);
      expect(replies[1].success).to.equal(true);
    });

    it('arguments of the wrong Thrift type are skipped as absent, as Thrift does: the name is then required', async function () {
      const wrong = encodeCall(format, 'Create', 7, (w) => {
        w.writeFieldBegin('feature_name', TType.I32, 1);
        w.writeI32(12);
        w.writeFieldEnd();
      });
      const [reply] = await readReplies(server.port, format, [wrong], 1);
      expect(reply.exception?.message).to.match(/feature_name is required/);
    });

    it('an unknown method gets an application exception, and the connection goes on', async function () {
      const unknown = encodeCall(format, 'DropEverything', 3, () => {});
      const good = encodeCall(format, 'Get', 4, (w) => stringField(w, 1, 'existing'));
      const replies = await readReplies(server.port, format, [unknown, good], 2);
      expect(replies[0].mtype).to.equal(MessageType.EXCEPTION);
      expect(replies[0].application?.message).to.match(/DropEverything/);
      expect(replies[1].success).to.equal(true);
    });

    it(`${FUZZ_CASES} seeded random payloads, whole and split: server up, store unchanged, bad connections closed`, async function () {
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
            const result = await throwAt(server.port, pieces, must);
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
      const big = encodeCall(format, 'Get', 1, (w) => stringField(w, 1, 'x'.repeat(MAX_MESSAGE + 10)));
      const result = await exchange(server.port, [big], { waitMs: 3000 });
      expect(result.closed).to.equal(true);
      expect(result.received.length).to.equal(0);
    });

    it('deep nesting is refused', async function () {
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
      const result = await exchange(server.port, [Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')], {
        waitMs: 3000,
      });
      expect(result.closed).to.equal(true);
      expect(result.received.toString('latin1')).to.match(/^HTTP\/1.1 400 Bad Request/);
      const post = await exchange(server.port, [Buffer.from('POST /flags HTTP/1.1\r\n')], { waitMs: 3000 });
      expect(post.closed).to.equal(true);
    });

    it('a client vanishing mid-call, or right after sending one, leaves the server serving and nothing half-written', async function () {
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
}

/** Sends messages on one connection and decodes the first `count` replies. */
async function readReplies(
  port: number,
  format: WireFormat,
  messages: Buffer[],
  count: number,
): Promise<DecodedReply[]> {
  const result = await exchange(port, [Buffer.concat(messages)], {
    waitMs: 5000,
    enough: (received) => splitReplies(format, received).length >= count,
  });
  return splitReplies(format, result.received).map((bytes) => decodeReply(format.protocol, bytes));
}

/** The whole reply messages in `received`. */
function splitReplies(format: WireFormat, received: Buffer): Buffer[] {
  const assembler = new MessageAssembler({ ...format, maxMessageBytes: 1 << 24 });
  const out: Buffer[] = [];
  assembler.push(received, (buf, s, e) => out.push(Buffer.from(buf.subarray(s, e))));
  return out;
}
