import { MessageScanner } from './message-scanner';
import { ProtocolError, TType } from './types';

const BINARY_FIXED: Record<number, number> = {
  [TType.BOOL]: 1,
  [TType.BYTE]: 1,
  [TType.I16]: 2,
  [TType.I32]: 4,
  [TType.I64]: 8,
  [TType.DOUBLE]: 8,
  [TType.UUID]: 16,
};

/** Message boundaries in TBinaryProtocol (strict and old non-strict headers). */
export class BinaryMessageScanner extends MessageScanner {
  protected header(buf: Buffer, start: number, avail: number): boolean {
    if (avail < 4) return false;
    const first = buf.readInt32BE(start);
    let nameAt: number;
    let nameLength: number;
    let tail: number;
    if (first < 0) {
      if ((first & 0xffff0000) !== (0x80010000 | 0)) {
        throw new ProtocolError('invalid', `not a Thrift binary message (first bytes 0x${(first >>> 0).toString(16)})`);
      }
      if (avail < 8) return false;
      nameAt = 8;
      nameLength = buf.readInt32BE(start + 4);
      tail = 4;
    } else {
      nameAt = 4;
      nameLength = first;
      tail = 5;
    }
    return this.headerEnds(nameLength, nameAt + nameLength + tail, avail);
  }

  protected field(buf: Buffer, start: number, avail: number): boolean {
    if (avail - this.off < 1) return false;
    const type = buf[start + this.off];
    if (type === TType.STOP) {
      this.off += 1;
      this.popStruct();
      return true;
    }
    if (avail - this.off < 3) return false;
    this.off += 3;
    this.pending = type;
    return true;
  }

  protected value(buf: Buffer, start: number, avail: number, type: number): boolean {
    const left = avail - this.off;
    const at = start + this.off;
    const fixed = BINARY_FIXED[type];
    if (fixed !== undefined) {
      if (left < fixed) return false;
      this.off += fixed;
      this.pending = -1;
      return true;
    }
    switch (type) {
      case TType.STRING: {
        if (left < 4) return false;
        const length = buf.readInt32BE(at);
        this.checkLength(length, 'string');
        if (left < 4 + length) return false;
        this.off += 4 + length;
        this.pending = -1;
        return true;
      }
      case TType.STRUCT:
        this.pushStruct();
        return true;
      case TType.MAP:
        if (left < 6) return false;
        this.off += 6;
        this.pushMap(buf.readInt32BE(at + 2), buf[at], buf[at + 1]);
        return true;
      case TType.LIST:
      case TType.SET:
        if (left < 5) return false;
        this.off += 5;
        this.pushList(buf.readInt32BE(at + 1), buf[at]);
        return true;
      default:
        throw new ProtocolError('invalid', `unknown Thrift type ${type}`);
    }
  }
}
