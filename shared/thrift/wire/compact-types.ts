import { ProtocolError, TType } from './types';

/** The compact protocol's id byte and version. */
export const PROTOCOL_ID = 0x82;
export const VERSION = 1;

/** Compact type id (index) to Thrift type; 0 stands for "no such compact type" except at index 0. */
const TTYPE_OF_CTYPE = [
  TType.STOP,
  TType.BOOL,
  TType.BOOL,
  TType.BYTE,
  TType.I16,
  TType.I32,
  TType.I64,
  TType.DOUBLE,
  TType.STRING,
  TType.LIST,
  TType.SET,
  TType.MAP,
  TType.STRUCT,
  TType.UUID,
];

const CTYPE_OF_TTYPE: Record<number, number> = {
  [TType.STOP]: 0,
  [TType.BOOL]: 1,
  [TType.BYTE]: 3,
  [TType.I16]: 4,
  [TType.I32]: 5,
  [TType.I64]: 6,
  [TType.DOUBLE]: 7,
  [TType.STRING]: 8,
  [TType.LIST]: 9,
  [TType.SET]: 10,
  [TType.MAP]: 11,
  [TType.STRUCT]: 12,
  [TType.UUID]: 13,
};

export function ttypeOf(ctype: number): number {
  if (ctype < 0 || ctype >= TTYPE_OF_CTYPE.length) throw new ProtocolError('invalid', `unknown compact type ${ctype}`);
  return TTYPE_OF_CTYPE[ctype];
}

export function ctypeOf(ttype: number): number {
  const c = CTYPE_OF_TTYPE[ttype];
  if (c === undefined) throw new TypeError(`cannot write Thrift type ${ttype} in the compact protocol`);
  return c;
}
