import type { FlipperError } from './errors';
import { MAX_JSON_DEPTH } from './limits';
import { parseStoredJson, StoredNumber, type StoredJson } from './stored-json';
import { stringifyJson } from './stringify-json';

/** A typed error class taking a message. */
export type ErrorClass = new (message: string) => FlipperError;

/**
 * Parses JSON text in Python's dialect, keeping every number's text, naming `what` in errors (a function, so the name costs nothing when all is
 * well). The depth limit is for what clients send; `trusted` text (a server's reply) skips it.
 */
export function parseJsonText(
  text: unknown,
  what: string | (() => string),
  ErrorType: ErrorClass,
  trusted = false,
): StoredJson {
  const name = () => (typeof what === 'string' ? what : what());
  if (typeof text !== 'string') throw new ErrorType(`${name()} must be JSON text`);
  let value: StoredJson;
  try {
    value = parseStoredJson(text);
  } catch (error) {
    throw new ErrorType(`${name()} is not valid JSON: ${(error as Error).message}`);
  }
  if (!trusted && !withinDepth(value, MAX_JSON_DEPTH)) {
    throw new ErrorType(`${name()} nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return value;
}

/** True when `value` nests at most `levels` arrays or objects deep (stops early, so never deep itself). */
export function withinDepth(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null || value instanceof StoredNumber) return true;
  if (levels === 0) return false;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (!withinDepth(child, levels - 1)) return false;
  }
  return true;
}

/** "null", "a list", "a string"...: what a JSON value is, for error messages. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof StoredNumber) return 'a number';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

/** A value in an error message: JSON text as Python writes it (a `bigint` or `NaN` included), never a throw. */
export function showJson(value: unknown): string {
  try {
    return stringifyJson(value);
  } catch {
    return String(value);
  }
}
