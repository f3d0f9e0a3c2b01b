/**
 * Values typed on the command line. A value is JSON, read losslessly (an id beyond 2^53 stays
 * exact): `user_id=42` is a number, `is_admin=true` a boolean, `plan='"pro"'` a string. A bare
 * word is refused rather than guessed, so `version=1.10` cannot silently become the number 1.1.
 */
import { Condition, FlipperError, isJsonObject, type Checks, type ClientData, type JsonValue } from '../../shared';
import { setOwn } from '../../shared/own-keys';
import { clientDataFromStored, conditionFromStored } from '../../shared/model/stored-codec';
import { decodeStored, parseStoredJson, type StoredJson } from '../../shared/stored-json';
import { InvalidArgumentError } from '../../shared';
import { UsageError } from './errors';

/** Parses JSON text of a command-line argument; `what` names it in the error. */
export function parseJsonArgument(text: string, what: string): StoredJson {
  try {
    return parseStoredJson(text);
  } catch (error) {
    throw new UsageError(`${what} is not JSON (${(error as Error).message})`);
  }
}

/** `key=value` pairs as checks; each value is JSON. */
export function checksFromPairs(pairs: readonly string[]): Checks {
  const checks: Record<string, JsonValue> = {};
  for (const [key, value] of pairs.map(splitPair)) setOwn(checks, key, value);
  return checks;
}

/** `--checks JSON`: an object of checks. */
export function checksFromJson(text: string): Checks {
  const value = decodeStored(parseJsonArgument(text, '--checks'));
  if (!isJsonObject(value)) throw new UsageError('--checks must be a JSON object, like {"user_id": 42}');
  return value;
}

/** `key__op=value` keywords (Python's `Condition(**kwargs)`) as one condition. */
export function conditionFromKeywords(pairs: readonly string[]): Condition {
  if (pairs.length === 0) throw new UsageError('give at least one check, like is_admin=true or age__gte=18');
  const keywords: Record<string, JsonValue> = {};
  for (const [key, value] of pairs.map(splitPair)) setOwn(keywords, key, value);
  return usage(() => new Condition(keywords));
}

/** A JSON list of conditions in their stored form (`[{"age": [{"variable": "age", "value": 18, "operator": "gte"}]}]`). */
export function conditionsFromJson(text: string): Condition[] {
  const tree = parseJsonArgument(text, '--json');
  if (!Array.isArray(tree)) throw new UsageError('--json must be a JSON list of conditions');
  return usage(() => tree.map(conditionFromStored));
}

/** A JSON object of client data, kept lossless. */
export function clientDataFromJson(text: string, what: string): ClientData {
  return usage(() => clientDataFromStored(parseJsonArgument(text, what), InvalidArgumentError, what));
}

function splitPair(pair: string): [string, JsonValue] {
  const at = pair.indexOf('=');
  if (at <= 0) throw new UsageError(`${JSON.stringify(pair)} is not key=value`);
  const key = pair.slice(0, at);
  const text = pair.slice(at + 1);
  let tree: StoredJson;
  try {
    tree = parseStoredJson(text);
  } catch {
    throw new UsageError(
      `the value of ${key} is not JSON: ${JSON.stringify(text)}; for a string write ${key}='"${text}"'`,
    );
  }
  return [key, decodeStored(tree)];
}

/** Runs `f`, turning the library's validation errors into usage errors (exit 2). */
export function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof FlipperError) throw new UsageError(error.message);
    throw error;
  }
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `15m`, `2h`, `1d`, `1h30m` as seconds. */
export function parseDuration(text: string, what: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)?/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UsageError(`${what} must be a duration like 90s, 15m, 2h or 1h30m, got ${JSON.stringify(text)}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2] ?? 's'], 0);
}

/** A fraction in [0, 1]; `25%` is accepted as 0.25. */
export function parseFraction(text: string, what: string): number {
  const percent = text.endsWith('%');
  const n = Number(percent ? text.slice(0, -1) : text);
  const value = percent ? n / 100 : n;
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(
      `${what} must be a fraction from 0 to 1 (or a percentage like 25%), got ${JSON.stringify(text)}`,
    );
  }
  return value;
}
