/**
 * Condition maps handed to the generated Thrift writer, which walks a map with
 * `for (k in map) if (map.hasOwnProperty(k)) write(k, map[k])` and a list with `length` and its
 * indices. Every variable is an own key of an ordinary object (`__proto__` included, set as data);
 * a variable named `hasOwnProperty` shadows the method the writer calls, so its list of checks is
 * a function that answers `hasOwnProperty` and holds the checks by index, as the writer reads a list.
 */
import { setOwn } from '../own-keys';

const WIRE_LIST = Symbol('flipper.wireList');

/** A map of variable -> list the generated writer can walk, whatever the variable names. */
export function generatedWriterMap<T>(entries: Iterable<[string, T[]]>): Record<string, T[]> {
  const map: Record<string, T[]> = {};
  for (const [key, list] of entries) setOwn(map, key, key === 'hasOwnProperty' ? callableList(list) : list);
  return map;
}

function callableList<T>(list: T[]): T[] {
  const fn = function (this: object, key: string) {
    return Object.prototype.hasOwnProperty.call(this, key);
  };
  list.forEach((item, i) => Object.defineProperty(fn, i, { value: item, enumerable: true }));
  Object.defineProperty(fn, 'length', { value: list.length });
  Object.defineProperty(fn, WIRE_LIST, { value: list });
  return fn as unknown as T[];
}

/** The list of a map entry: an array, or the checks of a `hasOwnProperty` entry made above. */
export function listOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === 'function') {
    const list = (value as unknown as Record<symbol, unknown>)[WIRE_LIST];
    if (Array.isArray(list)) return list;
  }
  return undefined;
}
