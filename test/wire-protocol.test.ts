import { expect } from 'chai';
import { thriftTypes, type ThriftItem } from '../shared/thrift/mapping';
import {
  BinaryProtocolReader,
  CompactProtocolReader,
  MessageAssembler,
  MessageType,
  ProtocolError,
  TType,
  protocolClasses,
  type ProtocolName,
  type TransportName,
} from '../shared/thrift/wire';
import { encode, encodeCall, seededRandom } from './helpers/raw-thrift';

// npm thrift's own protocols, as the reference our codecs must agree with byte for byte.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const thrift = require('thrift') as Record<
  string,
  new (...args: unknown[]) => Record<string, (...a: unknown[]) => unknown>
>;

const PROTOCOLS: ProtocolName[] = ['binary', 'compact'];
const FORMATS: Array<{ transport: TransportName; protocol: ProtocolName }> = [
  { transport: 'buffered', protocol: 'binary' },
  { transport: 'buffered', protocol: 'compact' },
  { transport: 'framed', protocol: 'binary' },
  { transport: 'framed', protocol: 'compact' },
];

function sampleItem(): ThriftItem {
  const t = thriftTypes();
  return new t.FeatureFlagStoreItem({
    feature_name: 'naïve-flag-😀',
    is_enabled: true,
    meta: new t.FeatureFlagStoreMeta({
      created_date: 1_700_000_000 as never,
      client_data: '{"owner": "growth", "n": -1.5e-7}',
      conditions: [
        {
          age: [
            new t.ConditionCheck({
              variable: 'age',
              value: '18',
              operator: new t.ConditionOperator({ symbol: 'gte' }),
            }),
            new t.ConditionCheck({ variable: 'age', value: '65', operator: new t.ConditionOperator({ symbol: 'lt' }) }),
          ],
        },
        {
          is_admin: [
            new t.ConditionCheck({ variable: 'is_admin', value: 'true', operator: new t.ConditionOperator() }),
          ],
        },
      ],
      bucketer: '{"type": "NoOpBucketer"}',
    }),
  });
}

/** A Get reply carrying the item, written through any writer with Thrift's method names (ours or npm thrift's). */
function writeReply(out: Record<string, (...args: unknown[]) => unknown>, item: ThriftItem, seqid: number): void {
  out.writeMessageBegin('Get', MessageType.REPLY, seqid);
  out.writeStructBegin('r');
  out.writeFieldBegin('success', TType.STRUCT, 0);
  (item as unknown as { write(o: unknown): void }).write(out);
  out.writeFieldEnd();
  out.writeFieldStop();
  out.writeStructEnd();
  out.writeMessageEnd();
}

/** Writes a reply carrying the item with our writer. */
function ourReply(protocol: ProtocolName, item: ThriftItem, seqid: number): Buffer {
  return encode({ transport: 'buffered', protocol }, (w) =>
    writeReply(w as unknown as Record<string, (...args: unknown[]) => unknown>, item, seqid),
  );
}

/** Writes the same reply with npm thrift's protocol. */
function stockReply(protocol: ProtocolName, item: ThriftItem, seqid: number): Buffer {
  let bytes: Buffer | undefined;
  const transport = new thrift.TBufferedTransport(undefined, (msg: Buffer) => (bytes = Buffer.from(msg)));
  writeReply(new thrift[protocol === 'compact' ? 'TCompactProtocol' : 'TBinaryProtocol'](transport), item, seqid);
  transport.flush();
  return bytes!;
}

function readItem(protocol: ProtocolName, bytes: Buffer): ThriftItem {
  const reader = new (protocolClasses(protocol).Reader)(bytes);
  const header = reader.readMessageBegin();
  expect(header).to.deep.equal({ fname: 'Get', mtype: MessageType.REPLY, rseqid: 77 });
  reader.readStructBegin();
  const field = reader.readFieldBegin();
  expect(field.fid).to.equal(0);
  const item = new (thriftTypes().FeatureFlagStoreItem)();
  (item as unknown as { read(r: unknown): void }).read(reader);
  return item;
}

function plain(item: ThriftItem): unknown {
  const meta = item.meta!;
  return {
    ...item,
    meta: {
      ...meta,
      created_date: Number(String(meta.created_date)),
      conditions: JSON.parse(JSON.stringify(meta.conditions)),
    },
  };
}

describe('wire protocols: our binary and compact codecs', function () {
  for (const protocol of PROTOCOLS) {
    it(`${protocol}: writes exactly the bytes npm thrift writes`, function () {
      expect(ourReply(protocol, sampleItem(), 77).equals(stockReply(protocol, sampleItem(), 77))).to.equal(true);
    });

    it(`${protocol}: reads what npm thrift writes back into the same struct`, function () {
      expect(plain(readItem(protocol, stockReply(protocol, sampleItem(), 77)))).to.deep.equal(plain(sampleItem()));
    });

    it(`${protocol}: i64 values keep their sign and size`, function () {
      for (const n of [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
        const bytes = encode({ transport: 'buffered', protocol }, (w) => w.writeI64(n));
        const reader = new (protocolClasses(protocol).Reader)(bytes);
        expect(Number((reader.readI64() as { toNumber(x: boolean): number }).toNumber(true)), String(n)).to.equal(n);
      }
    });
  }

  it('refuses a string that is not UTF-8 rather than replacing its bytes', function () {
    const bytes = encode({ transport: 'buffered', protocol: 'binary' }, (w) =>
      w.writeBinary(Buffer.from([0x61, 0xff])),
    );
    let error: unknown;
    try {
      new BinaryProtocolReader(bytes).readString();
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ProtocolError).with.property('kind', 'invalid-utf8');
    const real = encode({ transport: 'buffered', protocol: 'binary' }, (w) => w.writeString('a\ufffdb'));
    expect(new BinaryProtocolReader(real).readString()).to.equal('a\ufffdb');
  });

  it('refuses a string, list or map that claims more bytes than the message holds, without allocating', function () {
    const claims: Array<[string, Buffer, (r: BinaryProtocolReader) => unknown]> = [
      ['string', Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x61]), (r) => r.readString()],
      ['list', Buffer.from([TType.STRUCT, 0x7f, 0xff, 0xff, 0xff, 0]), (r) => r.readListBegin()],
      ['map', Buffer.from([TType.STRING, TType.STRING, 0x7f, 0xff, 0xff, 0xff]), (r) => r.readMapBegin()],
    ];
    for (const [what, bytes, read] of claims) {
      expect(() => read(new BinaryProtocolReader(bytes)), what).to.throw(ProtocolError);
    }
    // Compact: a varint length of 0x7fffffff.
    expect(() => new CompactProtocolReader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07, 0x61])).readString()).to.throw(
      ProtocolError,
    );
  });
});

describe('wire protocols: cutting a stream into messages', function () {
  const LIMIT = 64 * 1024;

  function messages(format: { transport: TransportName; protocol: ProtocolName }): Buffer[] {
    return [
      encodeCall(format, 'Get', 1, (w) => {
        w.writeFieldBegin('feature_name', TType.STRING, 1);
        w.writeString('alpha');
        w.writeFieldEnd();
      }),
      encode(format, (w) => {
        w.writeMessageBegin('Get', MessageType.REPLY, 2);
        w.writeStructBegin('r');
        w.writeFieldBegin('success', TType.STRUCT, 0);
        (sampleItem() as unknown as { write(o: unknown): void }).write(w);
        w.writeFieldEnd();
        w.writeFieldStop();
        w.writeStructEnd();
        w.writeMessageEnd();
      }),
      encodeCall(format, 'List', 3, (w) => {
        w.writeFieldBegin('limit', TType.I64, 1);
        w.writeI64(10);
        w.writeFieldEnd();
        w.writeFieldBegin('flag', TType.BOOL, 9);
        w.writeBool(false);
        w.writeFieldEnd();
      }),
    ];
  }

  for (const format of FORMATS) {
    const label = `${format.transport}/${format.protocol}`;

    it(`${label}: finds every message whatever the split, byte by byte included`, function () {
      const whole = messages(format);
      const stream = Buffer.concat(whole);
      const expected = whole.map((m) => (format.transport === 'framed' ? m.subarray(4) : m).toString('hex'));
      const random = seededRandom(7);
      const splits = [[1], [stream.length], [3, 5, 7], Array.from({ length: 20 }, () => 1 + Math.floor(random() * 40))];
      for (const sizes of splits) {
        const assembler = new MessageAssembler({ ...format, maxMessageBytes: LIMIT });
        const found: string[] = [];
        let at = 0;
        let i = 0;
        while (at < stream.length) {
          const size = sizes[i++ % sizes.length];
          assembler.push(Buffer.from(stream.subarray(at, at + size)), (buf, s, e) =>
            found.push(buf.subarray(s, e).toString('hex')),
          );
          at += size;
        }
        expect(found, JSON.stringify(sizes)).to.deep.equal(expected);
        expect(assembler.buffered).to.equal(0);
      }
    });

    it(`${label}: refuses a length of 0x7fffffff at once, holding only the bytes received`, function () {
      const assembler = new MessageAssembler({ ...format, maxMessageBytes: LIMIT });
      const huge =
        format.transport === 'framed'
          ? Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x80, 0x01])
          : format.protocol === 'binary'
            ? Buffer.from([0x80, 0x01, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff, 0x47])
            : Buffer.from([0x82, 0x21, 0x01, 0xff, 0xff, 0xff, 0xff, 0x07, 0x47]);
      let error: unknown;
      try {
        assembler.push(huge, () => {});
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ProtocolError).with.property('kind', 'too-large');
    });
  }

  it('buffered: refuses a string or list inside the call claiming 0x7fffffff', function () {
    const format = { transport: 'buffered' as const, protocol: 'binary' as const };
    const header = encodeCall(format, 'Get', 1, () => {}).subarray(0, -1); // without the STOP
    for (const body of [
      Buffer.from([TType.STRING, 0, 1, 0x7f, 0xff, 0xff, 0xff]),
      Buffer.from([TType.LIST, 0, 1, TType.STRING, 0x7f, 0xff, 0xff, 0xff]),
      Buffer.from([TType.MAP, 0, 1, TType.STRING, TType.STRING, 0x7f, 0xff, 0xff, 0xff]),
    ]) {
      const assembler = new MessageAssembler({ ...format, maxMessageBytes: LIMIT });
      expect(() => assembler.push(Buffer.concat([header, body]), () => {})).to.throw(ProtocolError, /limit/);
    }
  });

  it('refuses nesting deeper than 64 levels', function () {
    const format = { transport: 'buffered' as const, protocol: 'binary' as const };
    const header = encodeCall(format, 'Get', 1, () => {}).subarray(0, -1);
    const nested = Buffer.alloc(3 * 100, 0);
    for (let i = 0; i < 100; i++) nested.set([TType.STRUCT, 0, 9], i * 3);
    const assembler = new MessageAssembler({ ...format, maxMessageBytes: LIMIT });
    expect(() => assembler.push(Buffer.concat([header, nested]), () => {})).to.throw(ProtocolError, /deeper than 64/);
  });

  it('grows with the bytes that arrive, not with what a frame claims', function () {
    const assembler = new MessageAssembler({ transport: 'framed', protocol: 'binary', maxMessageBytes: 1024 * 1024 });
    assembler.push(Buffer.from([0x00, 0x0f, 0xff, 0xff, 1, 2, 3]), () => {});
    expect(assembler.buffered).to.equal(7);
  });
});
