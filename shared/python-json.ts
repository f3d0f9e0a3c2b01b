/**
 * Python's `json.dumps` with its defaults (`ensure_ascii`, separators `", "` and `": "`), byte for
 * byte, so that consistent hashing puts a user in the same bucket in both languages.
 * A `bigint`, and a number that is an integer (any magnitude; `-0` is `0`), are written as Python
 * writes an int; any other number as Python writes a float.
 */
export function pythonJsonDumps(value: unknown): string {
  return write(value);
}

const PRINTABLE_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
};

/** Writes a string as Python's `json.dumps` does with `ensure_ascii=True`. */
export function pythonJsonString(s: string): string {
  if (PRINTABLE_ASCII.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const short = SHORT_ESCAPES[c];
    if (short !== undefined) out += short;
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else out += '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}

/**
 * Writes a number as Python writes an int (a `bigint`, or a number that is an integer: `2**53` is
 * `9007199254740992`, `1e21` is `1000000000000000000000`, `-0` is `0`) or a float's `repr`
 * (everything else, `NaN` and `Infinity` included).
 */
export function pythonNumber(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  if (Number.isSafeInteger(n)) return String(n);
  if (Number.isInteger(n)) return BigInt(n).toString();
  return pythonFloat(n);
}

/** Writes a number as Python writes a float: `repr` (`0.5`, `1e-07`, `1e+16`, `3.0`, `-0.0`), `NaN`, `Infinity`. */
export function pythonFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '-0.0';
  // toExponential() without an argument gives the shortest digits that read back to n, as repr does.
  const exp = n.toExponential();
  const e = exp.indexOf('e');
  const sign = n < 0 ? '-' : '';
  const mantissa = exp.slice(sign.length, e);
  const exponent = Number(exp.slice(e + 1));
  const digits = mantissa.replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    const es = exponent < 0 ? '-' : '+';
    return sign + m + 'e' + es + String(Math.abs(exponent)).padStart(2, '0');
  }
  if (exponent < 0) return sign + '0.' + '0'.repeat(-exponent - 1) + digits;
  if (digits.length <= exponent + 1) return sign + digits + '0'.repeat(exponent + 1 - digits.length) + '.0';
  return sign + digits.slice(0, exponent + 1) + '.' + digits.slice(exponent + 1);
}

function write(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return pythonJsonString(value);
    case 'number':
    case 'bigint':
      return pythonNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return writeArray(value);
      return writeObject(value as Record<string, unknown>);
    default:
      throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
  }
}

function writeArray(items: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ', ';
    out += write(items[i]);
  }
  return out + ']';
}

function writeObject(obj: Record<string, unknown>): string {
  let out = '{';
  let first = true;
  for (const key of Object.keys(obj)) {
    if (!first) out += ', ';
    first = false;
    out += pythonJsonString(key) + ': ' + write(obj[key]);
  }
  return out + '}';
}
