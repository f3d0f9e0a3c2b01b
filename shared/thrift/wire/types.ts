/** Thrift's wire type ids (the same in every protocol's field headers). */
export const TType = {
  STOP: 0,
  BOOL: 2,
  BYTE: 3,
  DOUBLE: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  MAP: 13,
  SET: 14,
  LIST: 15,
  UUID: 16,
} as const;

/** Thrift message types. */
export const MessageType = { CALL: 1, REPLY: 2, EXCEPTION: 3, ONEWAY: 4 } as const;

/**
 * Why bytes could not be read as a Thrift message.
 * - `invalid`: not Thrift, or not the protocol this end speaks; the stream cannot be trusted any more.
 * - `too-large`: a message, frame, string or container claims more than the size limit.
 * - `invalid-utf8`: a well-formed message whose string is not UTF-8; the connection can go on.
 * - `too-much-work`: a complete message whose decoding passed the reader's work limit (`limitWork`):
 *   more values than allowed, or past the deadline; the connection can go on.
 */
export type ProtocolErrorKind = 'invalid' | 'too-large' | 'invalid-utf8' | 'too-much-work';

/** Bytes that are not an acceptable Thrift message. Internal to the wire layer, never shown to users as is. */
export class ProtocolError extends Error {
  constructor(
    readonly kind: ProtocolErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }

  /** For `too-large`: the first bytes of the message refused (its header, to tell which call it answers). */
  head?: Buffer;
}

/** What `readMessageBegin` returns, in the shape the generated code expects. */
export interface MessageHeader {
  fname: string;
  mtype: number;
  rseqid: number;
}

/** A 64-bit integer as node-int64 holds it (what the generated code passes around), or a plain number. */
export type I64Value = number | bigint | { buffer: Buffer; offset?: number };

/** The reading half of a Thrift protocol, as the generated code calls it. */
export interface ProtocolReader {
  readMessageBegin(): MessageHeader;
  readMessageEnd(): void;
  readStructBegin(): { fname: string };
  readStructEnd(): void;
  readFieldBegin(): { fname: null; ftype: number; fid: number };
  readFieldEnd(): void;
  readMapBegin(): { ktype: number; vtype: number; size: number };
  readMapEnd(): void;
  readListBegin(): { etype: number; size: number };
  readListEnd(): void;
  readSetBegin(): { etype: number; size: number };
  readSetEnd(): void;
  readBool(): boolean;
  readByte(): number;
  readI16(): number;
  readI32(): number;
  readI64(): unknown;
  readDouble(): number;
  readString(): string;
  readBinary(): Buffer;
  readUuid(): Buffer;
  skip(type: number): void;
  /** Goes back to the first byte, so a message can be peeked at and then handed on whole. */
  rewind(): void;
  /** Bounds the values decoded from now on, and the time (see `BufferReader.limitWork`). */
  limitWork(maxValues: number, deadlineAt?: number): void;
  /** Offset of the next byte to read in the buffer. */
  readonly position: number;
}

/** The writing half of a Thrift protocol, as the generated code calls it. */
export interface ProtocolWriter {
  writeMessageBegin(name: string, type: number, seqid: number): void;
  writeMessageEnd(): void;
  writeStructBegin(name: string): void;
  writeStructEnd(): void;
  writeFieldBegin(name: string, type: number, id: number): void;
  writeFieldEnd(): void;
  writeFieldStop(): void;
  writeMapBegin(ktype: number, vtype: number, size: number): void;
  writeMapEnd(): void;
  writeListBegin(etype: number, size: number): void;
  writeListEnd(): void;
  writeSetBegin(etype: number, size: number): void;
  writeSetEnd(): void;
  writeBool(value: boolean): void;
  writeByte(value: number): void;
  writeI16(value: number): void;
  writeI32(value: number): void;
  writeI64(value: I64Value): void;
  writeDouble(value: number): void;
  writeString(value: string): void;
  writeBinary(value: Buffer | string): void;
  flush(): void;
}
