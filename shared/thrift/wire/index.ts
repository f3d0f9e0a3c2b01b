import { BinaryProtocolReader, BinaryProtocolWriter } from './binary-protocol';
import { CompactProtocolReader } from './compact-protocol-reader';
import { CompactProtocolWriter } from './compact-protocol-writer';
import type { ProtocolName } from './message-assembler';
import type { OutputBuffer } from './output-buffer';
import type { ProtocolReader, ProtocolWriter } from './types';

export * from './types';
export * from './output-buffer';
export * from './message-assembler';
export * from './binary-protocol';
export * from './compact-protocol-reader';
export * from './compact-protocol-writer';
export * from './memoized-write';
export * from './wire-options';

/** The reader and writer classes of a protocol. */
export interface ProtocolClasses {
  Reader: new (buf: Buffer, start?: number, end?: number) => ProtocolReader;
  Writer: new (out: OutputBuffer) => ProtocolWriter;
}

/** The classes for `binary` or `compact`. */
export function protocolClasses(name: ProtocolName): ProtocolClasses {
  return name === 'compact'
    ? { Reader: CompactProtocolReader, Writer: CompactProtocolWriter }
    : { Reader: BinaryProtocolReader, Writer: BinaryProtocolWriter };
}
export * from './transport-mismatch';
