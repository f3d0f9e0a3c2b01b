import { BufferReader } from './buffer-reader';
import { PROTOCOL_ID, VERSION, ttypeOf } from './compact-types';
import { int64FromBigInt } from './int64';
import { skipValue } from './skip';
import { ProtocolError, TType, type MessageHeader, type ProtocolReader } from './types';

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
    this.tick();
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
    this.tick();
    const size = this.varint32();
    if (size === 0) return { ktype: TType.STOP, vtype: TType.STOP, size: 0 };
    this.need(1, 'a map header');
    const kv = this.buf[this.pos++];
    return { ktype: ttypeOf(kv >> 4), vtype: ttypeOf(kv & 0x0f), size: this.checkCount(size, 2, 'map') };
  }

  readMapEnd(): void {}

  readListBegin(): { etype: number; size: number } {
    this.tick();
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
    this.tick();
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
