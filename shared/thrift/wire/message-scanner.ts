import { MAX_THRIFT_DEPTH } from '../../limits';
import { ProtocolError } from './types';

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
  /**
   * Ends a message header whose method name is `nameLength` bytes and whose header is `total` bytes
   * in all: false while they have not all arrived (the name's length is checked first).
   */
  protected headerEnds(nameLength: number, total: number, avail: number): boolean {
    this.checkLength(nameLength, 'method name');
    if (avail < total) return false;
    this.off = total;
    return true;
  }

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
    if (this.kinds.length >= MAX_THRIFT_DEPTH)
      throw new ProtocolError('invalid', `nesting deeper than ${MAX_THRIFT_DEPTH} levels`);
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
