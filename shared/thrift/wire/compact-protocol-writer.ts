import { BufferedProtocolWriter } from './buffered-writer';
import { PROTOCOL_ID, VERSION, ctypeOf } from './compact-types';
import { i64ToBigInt } from './int64';
import { TType, type I64Value, type ProtocolWriter } from './types';

/** TCompactProtocol writing into an `OutputBuffer`; `flush()` sends the message. */
export class CompactProtocolWriter extends BufferedProtocolWriter implements ProtocolWriter {
  private lastFieldId = 0;
  private readonly lastFieldIds: number[] = [];
  private pendingBoolField: number | undefined;

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

  /** Also forgets the field ids of the half-written message. */
  override reset(): void {
    super.reset();
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
