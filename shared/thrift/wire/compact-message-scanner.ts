import { CType } from './compact-types';
import { MessageScanner } from './message-scanner';
import { ProtocolError } from './types';

/**
 * The length of the varint at `at`: 0 when it is not complete in `left` bytes yet. A varint longer
 * than `max` bytes is refused.
 */
function varintLength(buf: Buffer, at: number, left: number, max: number): number {
  const n = Math.min(left, max);
  for (let i = 0; i < n; i++) if ((buf[at + i] & 0x80) === 0) return i + 1;
  if (left >= max) throw new ProtocolError('invalid', `a varint is longer than ${max} bytes`);
  return 0;
}

/** The value of a complete varint of at most 5 bytes. */
function varintValue(buf: Buffer, at: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value += (buf[at + i] & 0x7f) * 2 ** (7 * i);
  return value;
}

/** Message boundaries in TCompactProtocol. */
export class CompactMessageScanner extends MessageScanner {
  protected header(buf: Buffer, start: number, avail: number): boolean {
    if (avail < 1) return false;
    if (buf[start] !== 0x82) {
      throw new ProtocolError('invalid', `not a Thrift compact message (first byte 0x${buf[start].toString(16)})`);
    }
    if (avail < 2) return false;
    if ((buf[start + 1] & 0x1f) !== 1) throw new ProtocolError('invalid', 'bad compact protocol version');
    const seqLength = varintLength(buf, start + 2, avail - 2, 5);
    if (seqLength === 0) return false;
    const nameAt = 2 + seqLength;
    const nameHeader = varintLength(buf, start + nameAt, avail - nameAt, 5);
    if (nameHeader === 0) return false;
    const nameLength = varintValue(buf, start + nameAt, nameHeader);
    return this.headerEnds(nameLength, nameAt + nameHeader + nameLength, avail);
  }

  protected field(buf: Buffer, start: number, avail: number): boolean {
    const left = avail - this.off;
    if (left < 1) return false;
    const at = start + this.off;
    const b = buf[at];
    const ctype = b & 0x0f;
    if (ctype === 0) {
      this.off += 1;
      this.popStruct();
      return true;
    }
    let length = 1;
    if (b >> 4 === 0) {
      const idLength = varintLength(buf, at + 1, left - 1, 3);
      if (idLength === 0) return false;
      length += idLength;
    }
    this.off += length;
    // A bool field carries its value in the header.
    this.pending = ctype === CType.BOOL_TRUE || ctype === CType.BOOL_FALSE ? -1 : ctype;
    return true;
  }

  protected value(buf: Buffer, start: number, avail: number, type: number): boolean {
    const left = avail - this.off;
    const at = start + this.off;
    switch (type) {
      case CType.BOOL_TRUE:
      case CType.BOOL_FALSE:
      case CType.BYTE:
        return this.fixed(left, 1);
      case CType.DOUBLE:
        return this.fixed(left, 8);
      case CType.UUID:
        return this.fixed(left, 16);
      case CType.I16:
      case CType.I32:
      case CType.I64: {
        const length = varintLength(buf, at, left, type === CType.I64 ? 10 : 5);
        return length === 0 ? false : this.fixed(left, length);
      }
      case CType.BINARY: {
        const header = varintLength(buf, at, left, 5);
        if (header === 0) return false;
        const length = varintValue(buf, at, header);
        this.checkLength(length, 'string');
        return this.fixed(left, header + length);
      }
      case CType.STRUCT:
        this.pushStruct();
        return true;
      case CType.LIST:
      case CType.SET: {
        if (left < 1) return false;
        let size = buf[at] >> 4;
        let length = 1;
        if (size === 15) {
          const sizeLength = varintLength(buf, at + 1, left - 1, 5);
          if (sizeLength === 0) return false;
          size = varintValue(buf, at + 1, sizeLength);
          length += sizeLength;
        }
        this.off += length;
        this.pushList(size, buf[at] & 0x0f);
        return true;
      }
      case CType.MAP: {
        const sizeLength = varintLength(buf, at, left, 5);
        if (sizeLength === 0) return false;
        const size = varintValue(buf, at, sizeLength);
        if (size === 0) {
          this.off += sizeLength;
          this.pending = -1;
          return true;
        }
        if (left < sizeLength + 1) return false;
        const kv = buf[at + sizeLength];
        this.off += sizeLength + 1;
        this.pushMap(size, kv >> 4, kv & 0x0f);
        return true;
      }
      default:
        throw new ProtocolError('invalid', `unknown compact type ${type}`);
    }
  }

  private fixed(left: number, n: number): boolean {
    if (left < n) return false;
    this.off += n;
    this.pending = -1;
    return true;
  }
}
