import { BufferReader } from './buffer-reader';
import { i64ToBigInt, int64FromBigInt } from './int64';
import type { OutputBuffer } from './output-buffer';
import { skipValue } from './skip';
import {
  ProtocolError,
  TType,
  type I64Value,
  type MessageHeader,
  type ProtocolReader,
  type ProtocolWriter,
} from './types';

const PROTOCOL_ID = 0x82;
const VERSION = 1;

/** Compact type id (index) to Thrift type; 0 stands for "no such compact type" except at index 0. */
const TTYPE_OF_CTYPE = [
  TType.STOP,
  TType.BOOL,
  TType.BOOL,
  TType.BYTE,
  TType.I16,
  TType.I32,
  TType.I64,
  TType.DOUBLE,
  TType.STRING,
  TType.LIST,
  TType.SET,
  TType.MAP,
  TType.STRUCT,
  TType.UUID,
];

const CTYPE_OF_TTYPE: Record<number, number> = {
  [TType.STOP]: 0,
  [TType.BOOL]: 1,
  [TType.BYTE]: 3,
  [TType.I16]: 4,
  [TType.I32]: 5,
  [TType.I64]: 6,
  [TType.DOUBLE]: 7,
  [TType.STRING]: 8,
  [TType.LIST]: 9,
  [TType.SET]: 10,
  [TType.MAP]: 11,
  [TType.STRUCT]: 12,
  [TType.UUID]: 13,
};

function ttypeOf(ctype: number): number {
  if (ctype < 0 || ctype >= TTYPE_OF_CTYPE.length) throw new ProtocolError('invalid', `unknown compact type ${ctype}`);
  return TTYPE_OF_CTYPE[ctype];
}

function ctypeOf(ttype: number): number {
  const c = CTYPE_OF_TTYPE[ttype];
  if (c === undefined) throw new TypeError(`cannot write Thrift type ${ttype} in the compact protocol`);
  return c;
}

/** TCompactProtocol reading one complete message. */
export class CompactProtocolReader extends BufferReader implements ProtocolReader {
  private lastFieldId = 0;
  private readonly lastFieldIds: number[] = [];
  private pendingBool: boolean | undefined;

  override rewind(): void {
    super.rewind();
    this.lastFieldId = 0;
    this.lastFieldIds.length = 0;
    this.pendingBool = undefined;
  }

  readMessageBegin(): MessageHeader {
    this.need(2, 'a compact message header');
    const id = this.buf[this.pos];
    const versionAndType = this.buf[this.pos + 1];
    this.pos += 2;
    if (id !== PROTOCOL_ID) throw new ProtocolError('invalid', `bad compact protocol id 0x${id.toString(16)}`);
    if ((versionAndType & 0x1f) !== VERSION) {
      throw new ProtocolError('invalid', `bad compact protocol version ${versionAndType & 0x1f}`);
    }
    const rseqid = this.varint32() | 0;
    const fname = this.readString();
    return { fname, mtype: (versionAndType >> 5) & 0x07, rseqid };
  }

  readMessageEnd(): void {}

  readStructBegin(): { fname: string } {
    this.lastFieldIds.push(this.lastFieldId);
    this.lastFieldId = 0;
    return { fname: '' };
  }

  readStructEnd(): void {
    this.lastFieldId = this.lastFieldIds.pop() ?? 0;
  }

  readFieldBegin(): { fname: null; ftype: number; fid: number } {
    this.need(1, 'a field header');
    const b = this.buf[this.pos++];
    const ctype = b & 0x0f;
    if (ctype === 0) return { fname: null, ftype: TType.STOP, fid: 0 };
    const delta = b >> 4;
    const fid = delta === 0 ? this.readI16() : this.lastFieldId + delta;
    const ftype = ttypeOf(ctype);
    if (ftype === TType.BOOL) this.pendingBool = ctype === 1;
    this.lastFieldId = fid;
    return { fname: null, ftype, fid };
  }

  readFieldEnd(): void {}

  readMapBegin(): { ktype: number; vtype: number; size: number } {
    const size = this.varint32();
    if (size === 0) return { ktype: TType.STOP, vtype: TType.STOP, size: 0 };
    this.need(1, 'a map header');
    const kv = this.buf[this.pos++];
    return { ktype: ttypeOf(kv >> 4), vtype: ttypeOf(kv & 0x0f), size: this.checkCount(size, 2, 'map') };
  }

  readMapEnd(): void {}

  readListBegin(): { etype: number; size: number } {
    this.need(1, 'a list header');
    const b = this.buf[this.pos++];
    let size = b >> 4;
    if (size === 15) size = this.varint32();
    return { etype: ttypeOf(b & 0x0f), size: this.checkCount(size, 1, 'list') };
  }

  readListEnd(): void {}

  readSetBegin(): { etype: number; size: number } {
    return this.readListBegin();
  }

  readSetEnd(): void {}

  readBool(): boolean {
    if (this.pendingBool !== undefined) {
      const value = this.pendingBool;
      this.pendingBool = undefined;
      return value;
    }
    this.need(1, 'a bool');
    return this.buf[this.pos++] === 1;
  }

  readByte(): number {
    this.need(1, 'a byte');
    return this.buf.readInt8(this.pos++);
  }

  readI16(): number {
    return this.readI32();
  }

  readI32(): number {
    const n = this.varint32();
    return (n >>> 1) ^ -(n & 1);
  }

  readI64(): unknown {
    const n = this.varint64();
    return int64FromBigInt((n >> 1n) ^ -(n & 1n));
  }

  readDouble(): number {
    this.need(8, 'a double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  readString(): string {
    return this.utf8(this.varint32());
  }

  readBinary(): Buffer {
    return this.bytes(this.varint32());
  }

  readUuid(): Buffer {
    return this.bytes(16);
  }

  skip(type: number): void {
    skipValue(this, type, 0);
  }

  /** An unsigned varint of at most 5 bytes. */
  private varint32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1, 'a varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result > 0xffffffff ? result % 0x100000000 : result;
    }
    throw new ProtocolError('invalid', 'a 32-bit varint is longer than 5 bytes');
  }

  /** An unsigned varint of at most 10 bytes. */
  private varint64(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      this.need(1, 'a varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new ProtocolError('invalid', 'a 64-bit varint is longer than 10 bytes');
  }
}

/** TCompactProtocol writing into an `OutputBuffer`; `flush()` sends the message. */
export class CompactProtocolWriter implements ProtocolWriter {
  private lastFieldId = 0;
  private readonly lastFieldIds: number[] = [];
  private pendingBoolField: number | undefined;

  constructor(private readonly out: OutputBuffer) {}

  writeMessageBegin(name: string, type: number, seqid: number): void {
    // A message starts clean: bytes left by one whose encoding threw are dropped, never sent.
    this.reset();
    this.writeByte(PROTOCOL_ID);
    this.writeByte(VERSION | (type << 5));
    this.varint(seqid >>> 0);
    this.writeString(name);
  }

  writeMessageEnd(): void {}

  writeStructBegin(): void {
    this.lastFieldIds.push(this.lastFieldId);
    this.lastFieldId = 0;
  }

  writeStructEnd(): void {
    this.lastFieldId = this.lastFieldIds.pop() ?? 0;
  }

  writeFieldBegin(_name: string, type: number, id: number): void {
    // A bool field's value travels in its header, so the header waits for writeBool.
    if (type === TType.BOOL) this.pendingBoolField = id;
    else this.fieldHeader(ctypeOf(type), id);
  }

  writeFieldEnd(): void {}

  writeFieldStop(): void {
    this.writeByte(0);
  }

  writeMapBegin(ktype: number, vtype: number, size: number): void {
    if (size === 0) {
      this.writeByte(0);
      return;
    }
    this.varint(size);
    this.writeByte((ctypeOf(ktype) << 4) | ctypeOf(vtype));
  }

  writeMapEnd(): void {}

  writeListBegin(etype: number, size: number): void {
    if (size <= 14) this.writeByte((size << 4) | ctypeOf(etype));
    else {
      this.writeByte(0xf0 | ctypeOf(etype));
      this.varint(size);
    }
  }

  writeListEnd(): void {}

  writeSetBegin(etype: number, size: number): void {
    this.writeListBegin(etype, size);
  }

  writeSetEnd(): void {}

  writeBool(value: boolean): void {
    const ctype = value ? 1 : 2;
    if (this.pendingBoolField !== undefined) {
      const id = this.pendingBoolField;
      this.pendingBoolField = undefined;
      this.fieldHeader(ctype, id);
    } else this.writeByte(ctype);
  }

  writeByte(value: number): void {
    const out = this.out;
    out.ensure(1);
    out.buf[out.pos++] = value & 0xff;
  }

  writeI16(value: number): void {
    this.writeI32(value);
  }

  writeI32(value: number): void {
    this.varint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  writeI64(value: I64Value): void {
    const n = i64ToBigInt(value);
    let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
    const out = this.out;
    out.ensure(10);
    while (z >= 0x80n) {
      out.buf[out.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    out.buf[out.pos++] = Number(z);
  }

  writeDouble(value: number): void {
    const out = this.out;
    out.ensure(8);
    out.buf.writeDoubleLE(value, out.pos);
    out.pos += 8;
  }

  writeString(value: string): void {
    const len = Buffer.byteLength(value, 'utf8');
    this.varint(len);
    const out = this.out;
    out.ensure(len);
    out.buf.write(value, out.pos, len, 'utf8');
    out.pos += len;
  }

  writeBinary(value: Buffer | string): void {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'binary') : value;
    this.varint(bytes.length);
    this.out.write(bytes);
  }

  flush(): void {
    this.out.flush();
  }

  /** Drops a half-written message (the generated client calls this when encoding throws). */
  reset(): void {
    this.out.reset();
    this.lastFieldId = 0;
    this.lastFieldIds.length = 0;
    this.pendingBoolField = undefined;
  }

  private fieldHeader(ctype: number, id: number): void {
    if (id > this.lastFieldId && id - this.lastFieldId <= 15) this.writeByte(((id - this.lastFieldId) << 4) | ctype);
    else {
      this.writeByte(ctype);
      this.writeI16(id);
    }
    this.lastFieldId = id;
  }

  /** An unsigned 32-bit varint. */
  private varint(n: number): void {
    const out = this.out;
    out.ensure(5);
    while (n >= 0x80) {
      out.buf[out.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out.buf[out.pos++] = n;
  }
}
