/**
 * A value that JSON can carry, as this library hands it out and takes it in. Integers beyond
 * ±(2^53 − 1) are `bigint` (exact, as Python's ints); every other number is a `number`, `NaN` and
 * `±Infinity` included (Python writes them). Pass a `bigint` for an id that large: a `number`
 * has already lost its last digits.
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. Keys are data: `__proto__`, `constructor` and the like are ordinary keys. */
export type JsonObject = { [key: string]: JsonValue };

/** Client data stored with a flag: any JSON object. */
export type ClientData = JsonObject;

/**
 * What the caller passes to `isEnabled`: the Python library's keyword arguments.
 * Keys whose value is `undefined` are treated as not passed.
 */
export type Checks = Readonly<Record<string, JsonValue | undefined>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compares strings by Unicode code point (Python's order), lone surrogates included. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Outside surrogates a code unit is its code point; otherwise compare whole code points.
      if ((x & 0xf800) !== 0xd800 && (y & 0xf800) !== 0xd800) return x < y ? -1 : 1;
      return compareFrom(a, b, i > 0 && (a.charCodeAt(i - 1) & 0xfc00) === 0xd800 ? i - 1 : i);
    }
  }
  return a.length - b.length;
}

/** Code point order from index `i`, where both strings agree before `i` and `i` starts a code point in both. */
function compareFrom(a: string, b: string, i: number): number {
  while (i < a.length && i < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

/**
 * Python's `==` between JSON values: numbers by exact value (`bigint` with `number` too, so
 * `2**53 + 1` is not `2**53`; `NaN` equals nothing), except that booleans equal only booleans.
 */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'bigint' || tb === 'bigint') {
    // JavaScript's == between a bigint and a number compares their exact values.
    return (ta === 'number' || ta === 'bigint') && (tb === 'number' || tb === 'bigint') && a == b;
  }
  if (ta !== 'object' || tb !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a as object);
  if (ak.length !== Object.keys(b as object).length) return false;
  for (const k of ak) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!jsonEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Orders names by their UTF-8 bytes, the order every store lists in (same as code point order). */
export const compareUtf8 = compareCodePoints;
