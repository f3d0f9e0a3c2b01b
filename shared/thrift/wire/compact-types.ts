import { ProtocolError, TType } from './types';

/** The compact protocol's id byte and version. */
export const PROTOCOL_ID = 0x82;
export const VERSION = 1;

/** The compact protocol's type ids (its own numbering; booleans carry their value in the id). */
export const CType = {
  STOP: 0,
  BOOL_TRUE: 1,
  BOOL_FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
  UUID: 13,
} as const;

/** Each compact type id with its Thrift type; the first id of a Thrift type is the one written. */
const PAIRS: ReadonlyArray<readonly [number, number]> = [
  [CType.STOP, TType.STOP],
  [CType.BOOL_TRUE, TType.BOOL],
  [CType.BOOL_FALSE, TType.BOOL],
  [CType.BYTE, TType.BYTE],
  [CType.I16, TType.I16],
  [CType.I32, TType.I32],
  [CType.I64, TType.I64],
  [CType.DOUBLE, TType.DOUBLE],
  [CType.BINARY, TType.STRING],
  [CType.LIST, TType.LIST],
  [CType.SET, TType.SET],
  [CType.MAP, TType.MAP],
  [CType.STRUCT, TType.STRUCT],
  [CType.UUID, TType.UUID],
];

/** Compact type id (index) to Thrift type. */
const TTYPE_OF_CTYPE: number[] = [];
const CTYPE_OF_TTYPE: Record<number, number> = {};
for (const [ctype, ttype] of PAIRS) {
  TTYPE_OF_CTYPE[ctype] = ttype;
  CTYPE_OF_TTYPE[ttype] ??= ctype;
}

export function ttypeOf(ctype: number): number {
  if (ctype < 0 || ctype >= TTYPE_OF_CTYPE.length) throw new ProtocolError('invalid', `unknown compact type ${ctype}`);
  return TTYPE_OF_CTYPE[ctype];
}

export function ctypeOf(ttype: number): number {
  const c = CTYPE_OF_TTYPE[ttype];
  if (c === undefined) throw new TypeError(`cannot write Thrift type ${ttype} in the compact protocol`);
  return c;
}
