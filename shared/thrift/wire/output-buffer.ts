/** Bytes reserved per slab; a message larger than that gets a slab of its own. */
const SLAB_BYTES = 16 * 1024;

/**
 * Where a protocol writer puts one message's bytes. `flush()` hands the finished message (with its
 * 4-byte length prefix when framed) to `sink`. Messages are cut from a shared slab and the bytes of
 * a flushed message are never written again (a socket write may still hold them), so many small
 * messages cost one allocation.
 *
 * It is also the `output` transport the generated client writes through: the client calls
 * `flush()` on it after each call.
 */
export class OutputBuffer {
  buf: Buffer;
  pos: number;
  /** Where the message being written starts (its length prefix, when framed). */
  private start = 0;
  private readonly header: number;

  constructor(
    private readonly framed: boolean,
    private readonly sink: (bytes: Buffer) => void,
  ) {
    this.header = framed ? 4 : 0;
    this.buf = Buffer.allocUnsafe(SLAB_BYTES);
    this.pos = this.header;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.start;
    const slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, 2 * (used + n)));
    this.buf.copy(slab, 0, this.start, this.pos);
    this.buf = slab;
    this.start = 0;
    this.pos = used;
  }

  /** Appends raw bytes. */
  write(bytes: Buffer): void {
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.pos);
    this.pos += bytes.length;
  }

  /** Bytes of the current message written so far: a mark for `copySince`. */
  get written(): number {
    return this.pos - this.start;
  }

  /** A copy of the bytes written to the current message since `mark` (a `written` value taken in it). */
  copySince(mark: number): Buffer {
    return Buffer.from(this.buf.subarray(this.start + mark, this.pos));
  }

  /** Sends what was written since the last flush as one message; nothing when nothing was written. */
  flush(): void {
    if (this.pos === this.start + this.header) return;
    if (this.framed) this.buf.writeInt32BE(this.pos - this.start - 4, this.start);
    const message = this.buf.subarray(this.start, this.pos);
    if (this.buf.length - this.pos < 512) {
      this.buf = Buffer.allocUnsafe(SLAB_BYTES);
      this.start = 0;
    } else this.start = this.pos;
    this.pos = this.start + this.header;
    this.sink(message);
  }

  /** Drops what was written since the last flush (a call that failed half way through encoding). */
  reset(): void {
    this.pos = this.start + this.header;
  }

  /** Kept for the generated client and the stock protocols, which report the seqid being written. */
  setCurrSeqId(): void {}
}
