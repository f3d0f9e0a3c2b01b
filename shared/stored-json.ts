/**
 * Stored JSON in Python's dialect, kept lossless. A flag's JSON is read into a tree whose numbers
 * keep their exact text (`1.0`, `1e+20`, `9223372036854775807`, `NaN`, `-0.0`), so that writing
 * the flag back leaves every value a change did not touch exactly as Python wrote it.
 *
 * Parsing uses `lossless-json` (it keeps each number's text and stores a `__proto__` key as data);
 * it does not read `NaN`, `Infinity` and `-Infinity`, which Python's `json.dumps` writes, so a small
 * step first replaces those tokens (outside strings) with number texts no JSON writer produces,
 * and the number parser maps them back. Writing is our own (`writeStoredJson`): Python's
 * `json.dumps` layout, numbers written from their kept text.
 */
import { parse } from 'lossless-json';
import type { JsonValue } from './json';
import { setOwn } from './own-keys';
import { pythonFloat, pythonJsonString } from './python-json';

/** A JSON number as its exact text (`NaN`, `Infinity` and `-Infinity` included). */
export class StoredNumber {
  constructor(readonly text: string) {}
}

/** A parsed JSON value that keeps every number's text. Objects hold every key as data. */
export type StoredJson = null | boolean | string | StoredNumber | StoredJson[] | StoredObject;
export type StoredObject = { [key: string]: StoredJson };

export function isStoredObject(value: StoredJson | undefined): value is StoredObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof StoredNumber);
}

// Valid JSON number texts that nothing writes (an upper-case exponent padded with 26 zeros).
const RESERVED = 'E-00000000000000000000000000';
const NAN_TOKEN = `0${RESERVED}1`;
const INFINITY_TOKEN = `0${RESERVED}2`;
const NAN = new StoredNumber('NaN');
const INFINITY = new StoredNumber('Infinity');
const MINUS_INFINITY = new StoredNumber('-Infinity');

/** Parses JSON text in Python's dialect. Throws `SyntaxError` (or `RangeError` when nested absurdly deep). */
export function parseStoredJson(text: string): StoredJson {
  return parse(substituteNonFinite(text), null, {
    parseNumber: readNumber,
    // Python keeps the last of duplicate keys.
    onDuplicateKey: ({ newValue }) => newValue,
  }) as StoredJson;
}

function readNumber(text: string): StoredNumber {
  switch (text) {
    case NAN_TOKEN:
      return NAN;
    case INFINITY_TOKEN:
      return INFINITY;
    case '-' + INFINITY_TOKEN:
      return MINUS_INFINITY;
    case '-' + NAN_TOKEN:
      throw new SyntaxError('-NaN is not JSON');
    default:
      return new StoredNumber(text);
  }
}

/** Replaces the tokens `NaN` and `Infinity` outside strings with reserved number texts. */
function substituteNonFinite(text: string): string {
  if (text.indexOf('NaN') < 0 && text.indexOf('Infinity') < 0) return text;
  if (text.includes(RESERVED)) throw new SyntaxError(`the number text ${RESERVED} is reserved`);
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x4e /* N */ && text.startsWith('NaN', i)) {
      out += text.slice(last, i) + NAN_TOKEN;
      last = i + 3;
      i = last - 1;
    } else if (c === 0x49 /* I */ && text.startsWith('Infinity', i)) {
      out += text.slice(last, i) + INFINITY_TOKEN;
      last = i + 8;
      i = last - 1;
    }
  }
  return out + text.slice(last);
}

const INTEGER = /^-?\d+$/;

/**
 * The value of a number text as this library hands it out: an integer beyond ±(2^53 − 1) as an
 * exact `bigint`, any other integer as a `number` (`-0` is `0`, as a Python int), and a float
 * (`1.0`, `1e+20`, `NaN`) as the `number` Python reads it as.
 */
export function numberFromText(text: string): number | bigint {
  if (!INTEGER.test(text)) return Number(text);
  if (text.length <= 15) return Number(text) || 0;
  const big = BigInt(text);
  return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
}

/** The tree as plain values: numbers by `numberFromText`, objects with every key as an own property. */
export function decodeStored(tree: StoredJson): JsonValue {
  if (tree === null || typeof tree !== 'object') return tree;
  if (tree instanceof StoredNumber) return numberFromText(tree.text);
  if (Array.isArray(tree)) return tree.map(decodeStored);
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(tree)) setOwn(out, key, decodeStored(tree[key]));
  return out;
}

/**
 * A value (as users hold it) as a stored tree. Where `base` (the tree it was read from) holds the
 * same value at the same place, its text is kept: `1.0` stays `1.0` while it is still `1`, and only
 * what changed is written anew. New numbers: a safe integer or `bigint` as an int, any other
 * number as Python writes a float. `undefined` object members are left out (as `JSON.stringify`
 * does); other values JSON cannot carry throw `TypeError`.
 */
export function encodeJsonValue(value: unknown, base?: StoredJson): StoredJson {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
    case 'bigint':
      if (base instanceof StoredNumber && Object.is(numberFromText(base.text), value)) return base;
      return new StoredNumber(newNumberText(value));
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const items = Array.isArray(base) ? base : [];
        return value.map((v, i) => (v === undefined ? null : encodeJsonValue(v, items[i])));
      }
      const withToJSON = value as { toJSON?: unknown };
      if (typeof withToJSON.toJSON === 'function') return encodeJsonValue((withToJSON.toJSON as () => unknown)(), base);
      const from = isStoredObject(base) ? base : undefined;
      const out: StoredObject = {};
      for (const key of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        const was = from !== undefined && Object.prototype.hasOwnProperty.call(from, key) ? from[key] : undefined;
        setOwn(out, key, encodeJsonValue(v, was));
      }
      return out;
    }
    default:
      throw new TypeError(`a ${typeof value} is not a JSON value`);
  }
}

function newNumberText(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  if (Number.isSafeInteger(n) && !Object.is(n, -0)) return String(n);
  return pythonFloat(n);
}

/** JSON text of a stored tree, laid out as Python's `json.dumps` writes it (`", "`, `": "`, ASCII only). */
export function writeStoredJson(tree: StoredJson): string {
  if (tree === null) return 'null';
  switch (typeof tree) {
    case 'string':
      return pythonJsonString(tree);
    case 'boolean':
      return tree ? 'true' : 'false';
  }
  if (tree instanceof StoredNumber) return tree.text;
  if (Array.isArray(tree)) {
    let out = '[';
    for (let i = 0; i < tree.length; i++) out += (i > 0 ? ', ' : '') + writeStoredJson(tree[i]);
    return out + ']';
  }
  let out = '{';
  let first = true;
  for (const key of Object.keys(tree)) {
    out += (first ? '' : ', ') + pythonJsonString(key) + ': ' + writeStoredJson(tree[key]);
    first = false;
  }
  return out + '}';
}
