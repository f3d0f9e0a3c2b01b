import type { OutputBuffer } from './output-buffer';

/** What every protocol writer does with its output buffer, whatever the encoding. */
export abstract class BufferedProtocolWriter {
  constructor(protected readonly out: OutputBuffer) {}

  flush(): void {
    this.out.flush();
  }

  /** Appends bytes this writer class produced earlier for one whole value (see `memoizeWrite`). */
  writeRaw(bytes: Buffer): void {
    this.out.write(bytes);
  }

  /** Runs `write` (which writes one whole value through this writer) and returns a copy of its bytes. */
  capture(write: () => void): Buffer {
    const mark = this.out.written;
    write();
    return this.out.copySince(mark);
  }

  /** Drops a half-written message (the generated client calls this when encoding throws). */
  reset(): void {
    this.out.reset();
  }
}
