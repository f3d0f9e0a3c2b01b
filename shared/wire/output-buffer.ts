/**
 * Where a protocol writer puts one message's bytes. `flush()` hands the finished message (with its
 * 4-byte length prefix when framed) to `sink` and starts a new buffer: the sink may keep the bytes
 * (a socket write holds them until sent), so they are never overwritten.
 *
 * It is also the `output` transport the generated client writes through: the client calls
 * `flush()` on it after each call.
 */
export class OutputBuffer {
  buf: Buffer;
  pos: number;
  private readonly start: number;

  constructor(
    private readonly framed: boolean,
    private readonly sink: (bytes: Buffer) => void,
  ) {
    this.start = framed ? 4 : 0;
    this.buf = Buffer.allocUnsafe(256);
    this.pos = this.start;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Appends raw bytes. */
  write(bytes: Buffer): void {
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.pos);
    this.pos += bytes.length;
  }

  /** Sends what was written since the last flush as one message; nothing when nothing was written. */
  flush(): void {
    if (this.pos === this.start) return;
    if (this.framed) this.buf.writeInt32BE(this.pos - 4, 0);
    const message = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(256);
    this.pos = this.start;
    this.sink(message);
  }

  /** Drops what was written since the last flush (a call that failed half way through encoding). */
  reset(): void {
    this.pos = this.start;
  }

  /** Kept for the generated client and the stock protocols, which report the seqid being written. */
  setCurrSeqId(): void {}
}
