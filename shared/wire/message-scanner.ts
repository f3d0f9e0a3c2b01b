import { MAX_DEPTH, ProtocolError, TType } from './types';

const STRUCT = 0;
const LIST = 1;
const MAP = 2;
const NONE = -1;

/**
 * Finds where one message ends in a byte stream without a length prefix (the buffered transport),
 * without decoding it. Resumable: bytes arriving a few at a time are each looked at once, so a
 * trickling peer costs linear time. Every claimed length is checked against the size limit as soon
 * as it is seen, so a huge prefix is refused before its bytes arrive and nothing it claims is
 * allocated.
 */
export abstract class MessageScanner {
  /** Bytes of the current message consumed so far. */
  protected off = 0;
  private started = false;
  /** The type of the next value to step over, or NONE when the enclosing frame decides. */
  protected pending = NONE;
  private readonly kinds: number[] = [];
  private readonly lefts: number[] = [];
  private readonly keyTypes: number[] = [];
  private readonly valueTypes: number[] = [];

  constructor(protected readonly maxBytes: number) {}

  /**
   * Continues with the message whose first byte is `buf[start]`; `buf[start, end)` is everything
   * received so far, and bytes seen by an earlier call are unchanged. Returns the message's length
   * once complete (and gets ready for the next one), or -1 when more bytes are needed.
   * Throws `ProtocolError` when the bytes cannot be a message within the limit.
   */
  scan(buf: Buffer, start: number, end: number): number {
    const avail = end - start;
    if (!this.started) {
      if (!this.header(buf, start, avail)) return -1;
      this.started = true;
      this.push(STRUCT, 0, 0, 0);
    }
    for (;;) {
      if (this.off > this.maxBytes) this.tooLarge();
      if (this.pending === NONE) {
        const top = this.kinds.length - 1;
        if (top < 0) {
          const length = this.off;
          this.reset();
          return length;
        }
        if (this.kinds[top] === STRUCT) {
          if (!this.field(buf, start, avail)) return -1;
          continue;
        }
        const left = this.lefts[top];
        if (left === 0) {
          this.pop();
          continue;
        }
        this.lefts[top] = left - 1;
        this.pending = this.kinds[top] === LIST || left % 2 === 0 ? this.keyTypes[top] : this.valueTypes[top];
      } else if (!this.value(buf, start, avail, this.pending)) return -1;
    }
  }

  /** Forgets the message in progress. */
  reset(): void {
    this.off = 0;
    this.started = false;
    this.pending = NONE;
    this.kinds.length = 0;
    this.lefts.length = 0;
    this.keyTypes.length = 0;
    this.valueTypes.length = 0;
  }

  /** Steps over the message header; false when more bytes are needed. */
  protected abstract header(buf: Buffer, start: number, avail: number): boolean;
  /** Steps over a field header (or the struct's STOP), setting `pending`; false when more bytes are needed. */
  protected abstract field(buf: Buffer, start: number, avail: number): boolean;
  /** Steps over one value of `type`, or opens it when it is a container; false when more bytes are needed. */
  protected abstract value(buf: Buffer, start: number, avail: number, type: number): boolean;

  protected pushStruct(): void {
    this.push(STRUCT, 0, 0, 0);
    this.pending = NONE;
  }

  protected pushList(size: number, elementType: number): void {
    this.checkSize(size, 1, 'list');
    this.push(LIST, size, elementType, 0);
    this.pending = NONE;
  }

  protected pushMap(size: number, keyType: number, valueType: number): void {
    this.checkSize(size, 2, 'map');
    this.push(MAP, size * 2, keyType, valueType);
    this.pending = NONE;
  }

  protected popStruct(): void {
    this.pop();
  }

  /** Refuses a length that cannot fit in what is left of the size limit. */
  protected checkLength(length: number, what: string): void {
    if (length < 0) throw new ProtocolError('invalid', `negative ${what} length ${length}`);
    if (length > this.maxBytes - this.off) {
      throw new ProtocolError(
        'too-large',
        `a ${what} of ${length} bytes is over the ${this.maxBytes}-byte message limit`,
      );
    }
  }

  protected tooLarge(): never {
    throw new ProtocolError('too-large', `a message is over the ${this.maxBytes}-byte limit`);
  }

  private checkSize(size: number, perElement: number, what: string): void {
    if (size < 0) throw new ProtocolError('invalid', `negative ${what} size ${size}`);
    if (size * perElement > this.maxBytes - this.off) {
      throw new ProtocolError(
        'too-large',
        `a ${what} of ${size} elements is over the ${this.maxBytes}-byte message limit`,
      );
    }
  }

  private push(kind: number, left: number, keyType: number, valueType: number): void {
    if (this.kinds.length >= MAX_DEPTH) throw new ProtocolError('invalid', `nesting deeper than ${MAX_DEPTH} levels`);
    this.kinds.push(kind);
    this.lefts.push(left);
    this.keyTypes.push(keyType);
    this.valueTypes.push(valueType);
  }

  private pop(): void {
    this.kinds.pop();
    this.lefts.pop();
    this.keyTypes.pop();
    this.valueTypes.pop();
  }
}

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
    this.checkLength(nameLength, 'method name');
    const total = nameAt + nameLength + tail;
    if (avail < total) return false;
    this.off = total;
    return true;
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

// Compact type ids.
const C_BOOL_TRUE = 1;
const C_BOOL_FALSE = 2;
const C_BYTE = 3;
const C_I16 = 4;
const C_I32 = 5;
const C_I64 = 6;
const C_DOUBLE = 7;
const C_BINARY = 8;
const C_LIST = 9;
const C_SET = 10;
const C_MAP = 11;
const C_STRUCT = 12;
const C_UUID = 13;

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
    this.checkLength(nameLength, 'method name');
    const total = nameAt + nameHeader + nameLength;
    if (avail < total) return false;
    this.off = total;
    return true;
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
    this.pending = ctype === C_BOOL_TRUE || ctype === C_BOOL_FALSE ? -1 : ctype;
    return true;
  }

  protected value(buf: Buffer, start: number, avail: number, type: number): boolean {
    const left = avail - this.off;
    const at = start + this.off;
    switch (type) {
      case C_BOOL_TRUE:
      case C_BOOL_FALSE:
      case C_BYTE:
        return this.fixed(left, 1);
      case C_DOUBLE:
        return this.fixed(left, 8);
      case C_UUID:
        return this.fixed(left, 16);
      case C_I16:
      case C_I32:
      case C_I64: {
        const length = varintLength(buf, at, left, type === C_I64 ? 10 : 5);
        return length === 0 ? false : this.fixed(left, length);
      }
      case C_BINARY: {
        const header = varintLength(buf, at, left, 5);
        if (header === 0) return false;
        const length = varintValue(buf, at, header);
        this.checkLength(length, 'string');
        return this.fixed(left, header + length);
      }
      case C_STRUCT:
        this.pushStruct();
        return true;
      case C_LIST:
      case C_SET: {
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
      case C_MAP: {
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
