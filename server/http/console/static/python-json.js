// Flags as the server stores them: JSON in Python's dialect (`NaN`, `Infinity`, `-Infinity`,
// integers beyond 2^53, `1.0`), which JSON.parse refuses or rounds. The browser's counterpart of
// shared/stored-json.ts: a number whose text JavaScript would not write back the same is kept as a
// PyNumber holding its text, so that showing and saving a flag changes none of its numbers.

/** A number JavaScript cannot hold exactly; arithmetic sees its nearest double. */
export class PyNumber {
  constructor(text) {
    this.text = text;
  }
  valueOf() {
    return Number(this.text);
  }
  toString() {
    return this.text;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NON_FINITE = /NaN|Infinity|-Infinity/y;

/** Parses JSON in Python's dialect; throws SyntaxError naming the position of a mistake. */
export function parsePython(text) {
  let at = 0;
  const fail = (what) => {
    throw new SyntaxError(`${what} at position ${at}`);
  };
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at])) at++;
  };
  const number = () => {
    for (const pattern of [NON_FINITE, NUMBER]) {
      pattern.lastIndex = at;
      const match = pattern.exec(text);
      if (match) {
        at += match[0].length;
        const n = Number(match[0]);
        return Number.isFinite(n) && String(n) === match[0] ? n : new PyNumber(match[0]);
      }
    }
    return fail('unexpected character');
  };
  const string = () => {
    const start = at;
    for (at++; at < text.length && text[at] !== '"'; at++) if (text[at] === '\\') at++;
    if (at >= text.length) fail('unterminated string');
    at++;
    return JSON.parse(text.slice(start, at));
  };
  const value = () => {
    space();
    const c = text[at];
    if (c === '{') {
      const object = {};
      at++;
      space();
      if (text[at] === '}') return (at++, object);
      for (;;) {
        space();
        if (text[at] !== '"') fail('expected a key');
        const key = string();
        space();
        if (text[at++] !== ':') fail('expected ":"');
        // defineProperty: a "__proto__" key is data, as in the server's parser.
        Object.defineProperty(object, key, { value: value(), enumerable: true, writable: true, configurable: true });
        space();
        if (text[at] === ',') at++;
        else if (text[at++] === '}') return object;
        else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      const list = [];
      at++;
      space();
      if (text[at] === ']') return (at++, list);
      for (;;) {
        list.push(value());
        space();
        if (text[at] === ',') at++;
        else if (text[at++] === ']') return list;
        else fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    for (const [word, meaning] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ]) {
      if (text.startsWith(word, at)) return ((at += word.length), meaning);
    }
    return number();
  };
  const result = value();
  space();
  if (at < text.length) fail('unexpected text after the value');
  return result;
}

/** JSON text in Python's dialect: PyNumbers written as their text. `indent`: as JSON.stringify's. */
export function stringifyPython(value, indent = 0, depth = 0) {
  const pad = indent ? '\n' + ' '.repeat(indent * (depth + 1)) : '';
  const end = indent ? '\n' + ' '.repeat(indent * depth) : '';
  const colon = indent ? ': ' : ':';
  if (value instanceof PyNumber) return value.text;
  if (typeof value === 'number') return String(value); // NaN, Infinity, -Infinity: as Python writes them
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${pad}${value.map((v) => stringifyPython(v, indent, depth + 1)).join(`,${pad}`)}${end}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return '{}';
    const entries = keys.map((k) => `${JSON.stringify(k)}${colon}${stringifyPython(value[k], indent, depth + 1)}`);
    return `{${pad}${entries.join(`,${pad}`)}${end}}`;
  }
  return JSON.stringify(value);
}
