import { BufferReader } from './buffer-reader';
import { BufferedProtocolWriter } from './buffered-writer';
import { int64FromBytes, writeI64Bytes } from './int64';
import { skipValue } from './skip';
import {
  ProtocolError,
  TType,
  type I64Value,
  type MessageHeader,
  type ProtocolReader,
  type ProtocolWriter,
} from './types';

const VERSION_1 = 0x80010000 | 0;
const VERSION_MASK = 0xffff0000 | 0;

/** TBinaryProtocol reading one complete message (strict or old non-strict headers). */
export class BinaryProtocolReader extends BufferReader implements ProtocolReader {
  readMessageBegin(): MessageHeader {
    const size = this.readI32();
    if (size < 0) {
      if ((size & VERSION_MASK) !== VERSION_1) {
        throw new ProtocolError('invalid', `bad binary protocol version 0x${(size >>> 0).toString(16)}`);
      }
      const fname = this.readString();
      return { fname, mtype: size & 0xff, rseqid: this.readI32() };
    }
    const fname = this.utf8(size);
    const mtype = this.readByte();
    return { fname, mtype, rseqid: this.readI32() };
  }

  readMessageEnd(): void {}

  readStructBegin(): { fname: string } {
    return { fname: '' };
  }

  readStructEnd(): void {}

  readFieldBegin(): { fname: null; ftype: number; fid: number } {
    this.tick();
    const ftype = this.readByte();
    if (ftype === TType.STOP) return { fname: null, ftype, fid: 0 };
    return { fname: null, ftype, fid: this.readI16() };
  }

  readFieldEnd(): void {}

  readMapBegin(): { ktype: number; vtype: number; size: number } {
    this.tick();
    this.need(6, 'a map header');
    const ktype = this.buf[this.pos];
    const vtype = this.buf[this.pos + 1];
    const size = this.buf.readInt32BE(this.pos + 2);
    this.pos += 6;
    return { ktype, vtype, size: this.checkCount(size, 2, 'map') };
  }

  readMapEnd(): void {}

  readListBegin(): { etype: number; size: number } {
    this.tick();
    this.need(5, 'a list header');
    const etype = this.buf[this.pos];
    const size = this.buf.readInt32BE(this.pos + 1);
    this.pos += 5;
    return { etype, size: this.checkCount(size, 1, 'list') };
  }

  readListEnd(): void {}

  readSetBegin(): { etype: number; size: number } {
    return this.readListBegin();
  }

  readSetEnd(): void {}

  readBool(): boolean {
    return this.readByte() !== 0;
  }

  readByte(): number {
    this.need(1, 'a byte');
    return this.buf.readInt8(this.pos++);
  }

  readI16(): number {
    this.need(2, 'an i16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  readI32(): number {
    this.need(4, 'an i32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  readI64(): unknown {
    this.need(8, 'an i64');
    const v = int64FromBytes(this.buf, this.pos);
    this.pos += 8;
    return v;
  }

  readDouble(): number {
    this.need(8, 'a double');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  readString(): string {
    this.tick();
    return this.utf8(this.readI32());
  }

  readBinary(): Buffer {
    return this.bytes(this.readI32());
  }

  readUuid(): Buffer {
    return this.bytes(16);
  }

  skip(type: number): void {
    skipValue(this, type, 0);
  }
}

/** TBinaryProtocol (strict) writing into an `OutputBuffer`; `flush()` sends the message. */
export class BinaryProtocolWriter extends BufferedProtocolWriter implements ProtocolWriter {
  writeMessageBegin(name: string, type: number, seqid: number): void {
    // A message starts clean: bytes left by one whose encoding threw are dropped, never sent.
    this.out.reset();
    this.writeI32(VERSION_1 | type);
    this.writeString(name);
    this.writeI32(seqid);
  }

  writeMessageEnd(): void {}
  writeStructBegin(): void {}
  writeStructEnd(): void {}

  writeFieldBegin(_name: string, type: number, id: number): void {
    const out = this.out;
    out.ensure(3);
    out.buf[out.pos] = type;
    out.buf.writeInt16BE(id, out.pos + 1);
    out.pos += 3;
  }

  writeFieldEnd(): void {}

  writeFieldStop(): void {
    this.writeByte(TType.STOP);
  }

  writeMapBegin(ktype: number, vtype: number, size: number): void {
    const out = this.out;
    out.ensure(6);
    out.buf[out.pos] = ktype;
    out.buf[out.pos + 1] = vtype;
    out.buf.writeInt32BE(size, out.pos + 2);
    out.pos += 6;
  }

  writeMapEnd(): void {}

  writeListBegin(etype: number, size: number): void {
    this.writeByte(etype);
    this.writeI32(size);
  }

  writeListEnd(): void {}

  writeSetBegin(etype: number, size: number): void {
    this.writeListBegin(etype, size);
  }

  writeSetEnd(): void {}

  writeBool(value: boolean): void {
    this.writeByte(value ? 1 : 0);
  }

  writeByte(value: number): void {
    const out = this.out;
    out.ensure(1);
    out.buf[out.pos++] = value & 0xff;
  }

  writeI16(value: number): void {
    const out = this.out;
    out.ensure(2);
    out.buf.writeInt16BE(value, out.pos);
    out.pos += 2;
  }

  writeI32(value: number): void {
    const out = this.out;
    out.ensure(4);
    out.buf.writeInt32BE(value | 0, out.pos);
    out.pos += 4;
  }

  writeI64(value: I64Value): void {
    const out = this.out;
    out.ensure(8);
    writeI64Bytes(out.buf, out.pos, value);
    out.pos += 8;
  }

  writeDouble(value: number): void {
    const out = this.out;
    out.ensure(8);
    out.buf.writeDoubleBE(value, out.pos);
    out.pos += 8;
  }

  writeString(value: string): void {
    const out = this.out;
    const len = Buffer.byteLength(value, 'utf8');
    out.ensure(4 + len);
    out.buf.writeInt32BE(len, out.pos);
    out.buf.write(value, out.pos + 4, len, 'utf8');
    out.pos += 4 + len;
  }

  writeBinary(value: Buffer | string): void {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'binary') : value;
    this.writeI32(bytes.length);
    this.out.write(bytes);
  }
}
