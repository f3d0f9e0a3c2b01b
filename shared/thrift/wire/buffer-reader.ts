import { isUtf8 } from 'node:buffer';
import { ProtocolError } from './types';

/**
 * Bounds-checked reads over one complete message. Every length the peer claims is checked against
 * the bytes actually there before anything is allocated, so a huge prefix costs nothing.
 */
export abstract class BufferReader {
  protected pos: number;
  /** Values read so far (fields, containers, strings), and the limits set by `limitWork`. */
  private work = 0;
  private maxWork = Infinity;
  private deadlineAt = Infinity;

  constructor(
    protected readonly buf: Buffer,
    protected readonly start = 0,
    protected readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /**
   * Bounds the decoding of what is read from now on: at most `maxValues` values (each field,
   * container and string counts one), and no value read after `deadlineAt` (ms since the epoch,
   * checked every 1024 values); past either, reads throw `ProtocolError` of kind `too-much-work`.
   * A message of empty structs is a few bytes per object built: counting its bytes alone bounds
   * neither the memory it makes the reader's caller allocate nor the time it takes.
   */
  limitWork(maxValues: number, deadlineAt = Infinity): void {
    this.work = 0;
    this.maxWork = maxValues;
    this.deadlineAt = deadlineAt;
  }

  /** Counts one value read; throws past the limits `limitWork` set. */
  protected tick(): void {
    if (++this.work > this.maxWork) {
      throw new ProtocolError('too-much-work', `a message holds more than ${this.maxWork} values`);
    }
    if ((this.work & 0x3ff) === 0 && this.deadlineAt !== Infinity && Date.now() > this.deadlineAt) {
      throw new ProtocolError('too-much-work', `decoding a message outlasted its deadline (${this.work} values read)`);
    }
  }

  /** Goes back to the first byte of the message. */
  rewind(): void {
    this.pos = this.start;
  }

  /** Offset of the next byte to read in the buffer. */
  get position(): number {
    return this.pos;
  }

  /** Bytes left in the message. */
  get remaining(): number {
    return this.end - this.pos;
  }

  protected need(n: number, what: string): void {
    if (this.pos + n > this.end) {
      throw new ProtocolError('invalid', `${what} needs ${n} bytes but the message has ${this.end - this.pos} left`);
    }
  }

  /** Refuses a container whose claimed element count cannot fit in the bytes left (each takes at least one). */
  protected checkCount(size: number, perElement: number, what: string): number {
    if (size < 0) throw new ProtocolError('invalid', `negative ${what} size ${size}`);
    if (size * perElement > this.end - this.pos) {
      throw new ProtocolError('too-large', `${what} of ${size} elements is larger than the message`);
    }
    return size;
  }

  /** `len` bytes as UTF-8 text; bytes that are not UTF-8 are refused rather than replaced. */
  protected utf8(len: number): string {
    if (len < 0) throw new ProtocolError('invalid', `negative string length ${len}`);
    this.need(len, 'a string');
    const from = this.pos;
    this.pos += len;
    const text = this.buf.toString('utf8', from, from + len);
    // Replacement characters only appear when the bytes were not UTF-8, or when they really were U+FFFD.
    if (text.includes('\ufffd') && !isUtf8(this.buf.subarray(from, from + len))) {
      throw new ProtocolError('invalid-utf8', 'a string is not valid UTF-8');
    }
    return text;
  }

  protected bytes(len: number): Buffer {
    if (len < 0) throw new ProtocolError('invalid', `negative binary length ${len}`);
    this.need(len, 'a binary value');
    const copy = Buffer.allocUnsafe(len);
    this.buf.copy(copy, 0, this.pos, this.pos + len);
    this.pos += len;
    return copy;
  }
}
