import { MAX_THRIFT_DEPTH } from '../../limits';
import { ProtocolError, TType, type ProtocolReader } from './types';

/** Reads past one value of `type` (an unknown field), refusing nesting deeper than `MAX_THRIFT_DEPTH`. */
export function skipValue(reader: ProtocolReader, type: number, depth: number): void {
  if (depth >= MAX_THRIFT_DEPTH) throw new ProtocolError('invalid', `nesting deeper than ${MAX_THRIFT_DEPTH} levels`);
  switch (type) {
    case TType.BOOL:
      reader.readBool();
      return;
    case TType.BYTE:
      reader.readByte();
      return;
    case TType.I16:
      reader.readI16();
      return;
    case TType.I32:
      reader.readI32();
      return;
    case TType.I64:
      reader.readI64();
      return;
    case TType.DOUBLE:
      reader.readDouble();
      return;
    case TType.STRING:
      // Skipped text is not decoded, so it need not be UTF-8.
      reader.readBinary();
      return;
    case TType.UUID:
      reader.readUuid();
      return;
    case TType.STRUCT:
      for (;;) {
        const field = reader.readFieldBegin();
        if (field.ftype === TType.STOP) return;
        skipValue(reader, field.ftype, depth + 1);
      }
    case TType.MAP: {
      const map = reader.readMapBegin();
      for (let i = 0; i < map.size; i++) {
        skipValue(reader, map.ktype, depth + 1);
        skipValue(reader, map.vtype, depth + 1);
      }
      return;
    }
    case TType.SET:
    case TType.LIST: {
      const list = reader.readListBegin();
      for (let i = 0; i < list.size; i++) skipValue(reader, list.etype, depth + 1);
      return;
    }
    default:
      throw new ProtocolError('invalid', `unknown Thrift type ${type}`);
  }
}
