import { BinaryMessageScanner } from './binary-message-scanner';
import { CompactMessageScanner } from './compact-message-scanner';
import type { MessageScanner } from './message-scanner';
import { ProtocolError } from './types';

export type TransportName = 'buffered' | 'framed';
export type ProtocolName = 'binary' | 'compact';

export interface MessageAssemblerOptions {
  /** `framed`: each message has a 4-byte length prefix; `buffered`: messages follow each other bare. */
  transport: TransportName;
  /** The protocol, needed to find where a bare message ends. */
  protocol: ProtocolName;
  /** Largest message accepted, in bytes; a larger one is a `ProtocolError` of kind `too-large`. */
  maxMessageBytes: number;
  /**
   * Framed transport only: a frame over `maxMessageBytes` is skipped (its bytes dropped as they
   * arrive, never held) instead of refused, and this is called once with its first bytes (up to
   * 512: the message header, to tell which call it answers) and its claimed length. The stream
   * goes on with the next frame.
   */
  onOversized?: (head: Buffer, length: number) => void;
}

/** Bytes of a skipped frame kept for `onOversized`. */
const OVERSIZED_HEAD_BYTES = 512;

/**
 * Called with each complete message: its bytes are `buf[start, end)`, valid only during the call.
 * Returning `false` stops delivery: the bytes after this message are held until the next `push`.
 */
export type MessageHandler = (buf: Buffer, start: number, end: number) => unknown;

/**
 * Cuts a byte stream into whole messages. Holds at most one incomplete message, growing its buffer
 * with the bytes actually received (never to the size a prefix claims), and refuses any message,
 * frame, string or container that claims more than `maxMessageBytes`.
 */
export class MessageAssembler {
  private pending: Buffer | undefined;
  private pendingLength = 0;
  private readonly scanner: MessageScanner | undefined;
  private readonly framed: boolean;
  private readonly maxBytes: number;
  private readonly onOversized: ((head: Buffer, length: number) => void) | undefined;
  /** Bytes of an oversized frame still to drop, its length, and its first bytes so far. */
  private skipLeft = 0;
  private skipLength = 0;
  private skipHead: Buffer[] = [];
  private skipHeadBytes = 0;

  constructor(options: MessageAssemblerOptions) {
    this.framed = options.transport === 'framed';
    this.maxBytes = options.maxMessageBytes;
    this.onOversized = this.framed ? options.onOversized : undefined;
    if (!this.framed) {
      this.scanner =
        options.protocol === 'compact'
          ? new CompactMessageScanner(options.maxMessageBytes)
          : new BinaryMessageScanner(options.maxMessageBytes);
    }
  }

  /** Bytes of an incomplete message held, waiting for the rest. */
  get buffered(): number {
    return this.pendingLength + this.skipLeft;
  }

  /**
   * Takes received bytes (possibly none, to deliver what was held) and calls `onMessage` for every
   * message they complete, until it returns false. Throws `ProtocolError`.
   */
  push(chunk: Buffer, onMessage: MessageHandler): void {
    let data: Buffer;
    let end: number;
    if (this.pending) {
      if (chunk.length > 0) this.append(chunk);
      data = this.pending;
      end = this.pendingLength;
    } else {
      data = chunk;
      end = chunk.length;
    }
    let start = 0;
    while (start < end) {
      if (this.skipLeft > 0) {
        start = this.skip(data, start, end);
        continue;
      }
      if (this.onOversized !== undefined && end - start >= 4 && data.readInt32BE(start) > this.maxBytes) {
        this.skipLeft = this.skipLength = data.readInt32BE(start);
        start += 4;
        continue;
      }
      let length: number;
      try {
        length = this.framed ? this.frameLength(data, start, end) : this.scanner!.scan(data, start, end);
      } catch (error) {
        if (error instanceof ProtocolError && error.kind === 'too-large') {
          const from = this.framed ? start + 4 : start;
          error.head = Buffer.from(data.subarray(from, Math.min(end, from + OVERSIZED_HEAD_BYTES)));
        }
        throw error;
      }
      if (length < 0) break;
      const from = this.framed ? start + 4 : start;
      start = from + length;
      if (onMessage(data, from, start) === false) break;
    }
    this.keep(data, start, end);
  }

  /** Drops bytes of an oversized frame; reports it once its head is in (or it ended). Returns where the next byte is. */
  private skip(data: Buffer, start: number, end: number): number {
    const n = Math.min(this.skipLeft, end - start);
    if (this.skipHeadBytes < OVERSIZED_HEAD_BYTES) {
      const keep = Math.min(n, OVERSIZED_HEAD_BYTES - this.skipHeadBytes);
      this.skipHead.push(Buffer.from(data.subarray(start, start + keep)));
      this.skipHeadBytes += keep;
      if (this.skipHeadBytes === OVERSIZED_HEAD_BYTES || n === this.skipLeft) {
        const head = Buffer.concat(this.skipHead);
        this.skipHead = [];
        this.skipHeadBytes = OVERSIZED_HEAD_BYTES;
        this.onOversized!(head, this.skipLength);
      }
    }
    this.skipLeft -= n;
    if (this.skipLeft === 0) this.skipHeadBytes = 0;
    return start + n;
  }

  /** Drops any incomplete message. */
  clear(): void {
    this.skipLeft = 0;
    this.skipHead = [];
    this.skipHeadBytes = 0;
    this.pending = undefined;
    this.pendingLength = 0;
    this.scanner?.reset();
  }

  /** The frame's payload length when the whole frame is in `data[start, end)`, else -1. */
  private frameLength(data: Buffer, start: number, end: number): number {
    if (end - start < 4) return -1;
    const length = data.readInt32BE(start);
    if (length < 0 || length > this.maxBytes) {
      throw new ProtocolError(
        'too-large',
        `a frame claims ${length >>> 0} bytes, over the ${this.maxBytes}-byte message limit`,
      );
    }
    if (length === 0) throw new ProtocolError('invalid', 'an empty frame');
    return end - start >= 4 + length ? length : -1;
  }

  /** Keeps `data[start, end)`, the start of a message still incomplete, in a buffer of our own. */
  private keep(data: Buffer, start: number, end: number): void {
    const left = end - start;
    if (left === 0) {
      this.pending = undefined;
      this.pendingLength = 0;
      return;
    }
    if (data === this.pending && start === 0) return;
    const own = Buffer.allocUnsafe(Math.max(1024, left * 2));
    data.copy(own, 0, start, end);
    this.pending = own;
    this.pendingLength = left;
  }

  private append(chunk: Buffer): void {
    const need = this.pendingLength + chunk.length;
    if (need > this.pending!.length) {
      // Doubling what was actually received: memory follows the bytes that arrived, not a claim.
      const grown = Buffer.allocUnsafe(Math.max(need, this.pending!.length * 2));
      this.pending!.copy(grown, 0, 0, this.pendingLength);
      this.pending = grown;
    }
    chunk.copy(this.pending!, this.pendingLength);
    this.pendingLength = need;
  }
}
