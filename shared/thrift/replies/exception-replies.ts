import { errorToThrift } from '../mapping';
import { MessageType, TType, type ProtocolWriter } from '../wire';

/** TApplicationException type codes (Thrift's). */
export const ApplicationExceptionType = {
  UNKNOWN: 0,
  UNKNOWN_METHOD: 1,
  INVALID_MESSAGE_TYPE: 2,
  PROTOCOL_ERROR: 7,
} as const;

/**
 * Answers a call with a FlipperException, without the generated code: every method of the service
 * declares its exception as field 1 of its result, so one writer serves all of them.
 */
export function writeFlipperException(writer: ProtocolWriter, method: string, seqid: number, error: unknown): void {
  writer.writeMessageBegin(method, MessageType.REPLY, seqid);
  writer.writeStructBegin('result');
  writer.writeFieldBegin('error', TType.STRUCT, 1);
  (errorToThrift(error) as unknown as { write(out: ProtocolWriter): void }).write(writer);
  writer.writeFieldEnd();
  writer.writeFieldStop();
  writer.writeStructEnd();
  writer.writeMessageEnd();
  writer.flush();
}

/**
 * Answers a call with a TApplicationException (message and type). Written by hand because npm
 * thrift's own `write` leaves out the type field.
 */
export function writeApplicationException(
  writer: ProtocolWriter,
  method: string,
  seqid: number,
  type: number,
  message: string,
): void {
  writer.writeMessageBegin(method, MessageType.EXCEPTION, seqid);
  writer.writeStructBegin('TApplicationException');
  writer.writeFieldBegin('message', TType.STRING, 1);
  writer.writeString(message);
  writer.writeFieldEnd();
  writer.writeFieldBegin('type', TType.I32, 2);
  writer.writeI32(type);
  writer.writeFieldEnd();
  writer.writeFieldStop();
  writer.writeStructEnd();
  writer.writeMessageEnd();
  writer.flush();
}
