import type { I64Value } from './types';

interface Int64Like {
  buffer: Buffer;
  offset: number;
  toNumber(allowImprecise?: boolean): number;
}

type Int64Constructor = new (buffer: Buffer, offset?: number) => Int64Like;

// node-int64 has no type declarations; it is what the generated code uses for i64 fields.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Int64 = require('node-int64') as Int64Constructor;

/** A node-int64 value over 8 big-endian bytes (copied, so the message buffer may be reused). */
export function int64FromBytes(bytes: Buffer, offset: number): Int64Like {
  const own = Buffer.allocUnsafe(8);
  bytes.copy(own, 0, offset, offset + 8);
  return new Int64(own, 0);
}

/** A node-int64 value for a JavaScript integer. */
export function int64FromNumber(n: number): Int64Like {
  const own = Buffer.allocUnsafe(8);
  own.writeBigInt64BE(BigInt(Math.trunc(n)));
  return new Int64(own, 0);
}

/** A node-int64 value for a bigint (wrapped to 64 bits). */
export function int64FromBigInt(n: bigint): Int64Like {
  const own = Buffer.allocUnsafe(8);
  own.writeBigInt64BE(BigInt.asIntN(64, n));
  return new Int64(own, 0);
}

/** The value as a bigint, from a number or a node-int64. */
export function i64ToBigInt(value: I64Value): bigint {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`an i64 must be a finite number, got ${value}`);
    return BigInt(Math.trunc(value));
  }
  if (typeof value === 'bigint') return BigInt.asIntN(64, value);
  if (value && Buffer.isBuffer(value.buffer)) return value.buffer.readBigInt64BE(value.offset ?? 0);
  throw new TypeError(`an i64 must be a number or an Int64, got ${String(value)}`);
}

/** Writes an i64 as 8 big-endian bytes at `pos`. */
export function writeI64Bytes(target: Buffer, pos: number, value: I64Value): void {
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    const hi = Math.floor(value / 0x100000000);
    target.writeInt32BE(hi, pos);
    target.writeUInt32BE(value - hi * 0x100000000, pos + 4);
    return;
  }
  target.writeBigInt64BE(i64ToBigInt(value), pos);
}
