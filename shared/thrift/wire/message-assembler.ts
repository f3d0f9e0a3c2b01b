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
}

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

  constructor(options: MessageAssemblerOptions) {
    this.framed = options.transport === 'framed';
    this.maxBytes = options.maxMessageBytes;
    if (!this.framed) {
      this.scanner =
        options.protocol === 'compact'
          ? new CompactMessageScanner(options.maxMessageBytes)
          : new BinaryMessageScanner(options.maxMessageBytes);
    }
  }

  /** Bytes of an incomplete message held, waiting for the rest. */
  get buffered(): number {
    return this.pendingLength;
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
      const length = this.framed ? this.frameLength(data, start, end) : this.scanner!.scan(data, start, end);
      if (length < 0) break;
      const from = this.framed ? start + 4 : start;
      start = from + length;
      if (onMessage(data, from, start) === false) break;
    }
    this.keep(data, start, end);
  }

  /** Drops any incomplete message. */
  clear(): void {
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
