import { connect } from 'node:net';
import { thriftTypes } from '../../shared/thrift/mapping';
import {
  MessageAssembler,
  MessageType,
  OutputBuffer,
  protocolClasses,
  TType,
  type ProtocolName,
  type ProtocolWriter,
  type TransportName,
} from '../../shared/thrift/wire';

export interface WireFormat {
  transport: TransportName;
  protocol: ProtocolName;
}

/** One message written with our protocol writers, framed when asked. */
export function encode(format: WireFormat, write: (w: ProtocolWriter) => void): Buffer {
  let message: Buffer | undefined;
  const out = new OutputBuffer(format.transport === 'framed', (bytes) => (message = Buffer.from(bytes)));
  const writer = new (protocolClasses(format.protocol).Writer)(out);
  write(writer);
  writer.flush();
  return message!;
}

/** A call of `method` whose arguments struct `writeArgs` writes (field headers included). */
export function encodeCall(
  format: WireFormat,
  method: string,
  seqid: number,
  writeArgs: (w: ProtocolWriter) => void,
): Buffer {
  return encode(format, (w) => {
    w.writeMessageBegin(method, MessageType.CALL, seqid);
    w.writeStructBegin('args');
    writeArgs(w);
    w.writeFieldStop();
    w.writeStructEnd();
    w.writeMessageEnd();
  });
}

/** A string field written from raw bytes (which need not be UTF-8). */
export function bytesField(w: ProtocolWriter, id: number, bytes: Buffer): void {
  w.writeFieldBegin('f', TType.STRING, id);
  w.writeBinary(bytes);
  w.writeFieldEnd();
}

export interface Exchange {
  /** Everything the server sent. */
  received: Buffer;
  /** True when the server closed the connection within the wait. */
  closed: boolean;
}

/**
 * Connects, writes `pieces` one write each (a tick apart), then waits up to `waitMs` for the server
 * to close, or until `enough(received)` holds; then drops the connection.
 */
export function exchange(
  port: number,
  pieces: Buffer[],
  options: { waitMs?: number; enough?: (received: Buffer) => boolean } = {},
): Promise<Exchange> {
  const waitMs = options.waitMs ?? 2000;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.enough?.(Buffer.concat(chunks))) finish(false);
    });
    socket.on('connect', async () => {
      for (const piece of pieces) {
        if (socket.destroyed) return;
        socket.write(piece);
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

export interface DecodedReply {
  fname: string;
  mtype: number;
  seqid: number;
  /** The FlipperException of a REPLY, when it carries one. */
  exception?: { code: number | null; message: string };
  /** Field 0 of a REPLY (the success value) was present. */
  success: boolean;
  /** The TApplicationException of an EXCEPTION message. */
  application?: { type?: number; message?: string };
}

/** Decodes one reply message (unframed bytes). */
export function decodeReply(protocol: ProtocolName, bytes: Buffer): DecodedReply {
  const reader = new (protocolClasses(protocol).Reader)(bytes);
  const header = reader.readMessageBegin();
  const reply: DecodedReply = { fname: header.fname, mtype: header.mtype, seqid: header.rseqid, success: false };
  reader.readStructBegin();
  for (;;) {
    const field = reader.readFieldBegin();
    if (field.ftype === TType.STOP) break;
    if (header.mtype === MessageType.EXCEPTION) {
      reply.application ??= {};
      if (field.fid === 1 && field.ftype === TType.STRING) reply.application.message = reader.readString();
      else if (field.fid === 2 && field.ftype === TType.I32) reply.application.type = reader.readI32();
      else reader.skip(field.ftype);
    } else if (field.fid === 1 && field.ftype === TType.STRUCT) {
      const e = new (thriftTypes().FlipperException)();
      (e as unknown as { read(r: unknown): void }).read(reader);
      reply.exception = { code: e.code ?? null, message: e.message };
    } else {
      if (field.fid === 0) reply.success = true;
      reader.skip(field.ftype);
    }
  }
  return reply;
}

/** A seeded pseudo-random source (mulberry32), so a failing fuzz case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` random bytes from `random`. */
export function randomBytes(random: () => number, n: number): Buffer {
  const bytes = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** A string field. */
export function stringField(w: ProtocolWriter, id: number, value: string): void {
  w.writeFieldBegin('f', TType.STRING, id);
  w.writeString(value);
  w.writeFieldEnd();
}

/** Sends messages on one connection and decodes the first `count` replies. */
export async function readReplies(
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
