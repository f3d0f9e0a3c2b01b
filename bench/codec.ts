// Our Thrift codecs and framing against npm thrift's (TBinaryProtocol over TBufferedTransport, as
// a stock Node client or server uses them), on the messages of the hot path: a Get call and its
// reply carrying one flag with a condition. docs/architecture.md quotes these figures.
import { Condition, FeatureFlagStoreItem, FeatureFlagStoreMeta } from '../client';
import { itemToThrift, thriftTypes, type ThriftItem } from '../shared/thrift/mapping';
import { MessageType, OutputBuffer, TType, protocolClasses, type ProtocolWriter } from '../shared/thrift/wire';
import { opsPerSecondSync, report } from './harness';

type Struct = { write(out: unknown): void; read(input: unknown): void };
type AnyProtocol = Record<string, (...args: unknown[]) => unknown>;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const thrift = require('thrift') as Record<string, (new (...args: unknown[]) => AnyProtocol) & AnyProtocol>;

function sampleItem(): ThriftItem {
  const item = new FeatureFlagStoreItem(
    'checkout',
    true,
    new FeatureFlagStoreMeta({
      createdDate: 1_700_000_000,
      clientData: { owner: 'payments' },
      conditions: [new Condition({ is_admin: true, plan__in: ['pro', 'team'] })],
    }),
  );
  // A plain struct, not the memoized one the server makes: both sides encode every field.
  return new (thriftTypes().FeatureFlagStoreItem)(itemToThrift(item));
}

/** The Get call's body and the reply's, written through any writer with Thrift's method names. */
function writeCall(out: AnyProtocol, seqid: number): void {
  out.writeMessageBegin('Get', MessageType.CALL, seqid);
  out.writeStructBegin('FeatureFlagStore_Get_args');
  out.writeFieldBegin('feature_name', TType.STRING, 1);
  out.writeString('checkout');
  out.writeFieldEnd();
  out.writeFieldStop();
  out.writeStructEnd();
  out.writeMessageEnd();
}

function writeReply(out: AnyProtocol, item: ThriftItem, seqid: number): void {
  out.writeMessageBegin('Get', MessageType.REPLY, seqid);
  out.writeStructBegin('FeatureFlagStore_Get_result');
  out.writeFieldBegin('success', TType.STRUCT, 0);
  (item as unknown as Struct).write(out);
  out.writeFieldEnd();
  out.writeFieldStop();
  out.writeStructEnd();
  out.writeMessageEnd();
}

/** Reads a Get reply's item, as a client does. */
function readReply(input: AnyProtocol): ThriftItem {
  input.readMessageBegin();
  input.readStructBegin();
  input.readFieldBegin();
  const item = new (thriftTypes().FeatureFlagStoreItem)();
  (item as unknown as Struct).read(input);
  return item;
}

/** Reads a Get call's name, as a server does. */
function readCall(input: AnyProtocol): unknown {
  input.readMessageBegin();
  input.readStructBegin();
  input.readFieldBegin();
  const name = input.readString();
  input.readFieldEnd();
  input.readFieldBegin();
  input.readStructEnd();
  input.readMessageEnd();
  return name;
}

/**
 * Encoders as a connection holds them: one writer (and its buffer) reused for every message, as our
 * client and server do, and one npm thrift transport and protocol, as its connection does.
 */
function encoders() {
  let stockBytes: Buffer | undefined;
  const transport = new thrift.TBufferedTransport(undefined, (msg: Buffer) => (stockBytes = msg));
  const stock = new thrift.TBinaryProtocol(transport);
  let ourBytes: Buffer | undefined;
  const ours = new (protocolClasses('binary').Writer)(new OutputBuffer(false, (b) => (ourBytes = b)));
  return {
    stock(write: (out: AnyProtocol) => void): Buffer {
      write(stock);
      transport.flush();
      return stockBytes!;
    },
    ours(write: (out: AnyProtocol) => void): Buffer {
      write(ours as unknown as AnyProtocol);
      (ours as ProtocolWriter).flush();
      return ourBytes!;
    },
  };
}

/** One message through npm thrift's receiving side: the transport's receiver, then the protocol. */
function stockDecode<T>(bytes: Buffer, read: (input: AnyProtocol) => T): T {
  let result: T | undefined;
  const receive = thrift.TBufferedTransport.receiver((transport: unknown) => {
    result = read(new thrift.TBinaryProtocol(transport));
  }) as (data: Buffer) => void;
  receive(bytes);
  return result!;
}

function ourDecode<T>(bytes: Buffer, read: (input: AnyProtocol) => T): T {
  return read(new (protocolClasses('binary').Reader)(bytes) as unknown as AnyProtocol);
}

export function runCodecBench(): void {
  const item = sampleItem();
  const encode = encoders();
  const call = Buffer.from(encode.ours((out) => writeCall(out, 1)));
  const reply = Buffer.from(encode.ours((out) => writeReply(out, item, 1)));
  if (!encode.stock((out) => writeReply(out, item, 1)).equals(reply)) throw new Error('the encoders disagree');
  const options = { iterations: 100_000 };
  const cases: Array<[string, (i: number) => unknown, (i: number) => unknown]> = [
    [
      'codec: encode a Get call',
      (i) => encode.ours((o) => writeCall(o, i)),
      (i) => encode.stock((o) => writeCall(o, i)),
    ],
    ['codec: decode a Get call', () => ourDecode(call, readCall), () => stockDecode(call, readCall)],
    [
      'codec: encode a Get reply (one flag)',
      (i) => encode.ours((o) => writeReply(o, item, i)),
      (i) => encode.stock((o) => writeReply(o, item, i)),
    ],
    ['codec: decode a Get reply (one flag)', () => ourDecode(reply, readReply), () => stockDecode(reply, readReply)],
  ];
  for (const [name, ours, stock] of cases) {
    report(name, opsPerSecondSync(ours, options), opsPerSecondSync(stock, options), 'npm thrift binary/buffered');
  }
}
