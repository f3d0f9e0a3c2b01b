import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Checks, JsonValue } from '../../shared';
import { setOwn } from '../../shared/own-keys';
import { StoredNumber, isStoredObject, parseStoredJson, type StoredJson } from '../../shared/stored-json';

/** One flag of `python-hostile-items.json` (see `../shared/conformance/README.md`). */
export interface HostileItem {
  name: string;
  covers: string;
  stored_json: string;
  after_enable_json: string;
  calls: Array<{ checks: Checks; python_result: boolean; readme_result?: boolean }>;
}

export interface KeywordCase {
  kwargs: Record<string, JsonValue>;
  to_dict?: Record<string, unknown>;
  python_error?: string;
}

const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'python-hostile-items.json');

/**
 * The fixture with its checks as a caller passes them: `{"$bigint": digits}` is that `bigint`,
 * `{"$float": "nan" | "inf" | "-inf"}` is `NaN` / `±Infinity`; everything else as `JSON.parse`
 * gives it (so `__proto__` is an own key).
 */
export function hostileFixture(): { items: HostileItem[]; keyword_cases: KeywordCase[] } {
  const raw = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { items: HostileItem[]; keyword_cases: KeywordCase[] };
  for (const item of raw.items) for (const call of item.calls) call.checks = revive(call.checks) as Checks;
  return raw;
}

const FLOATS: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };

function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  if (keys.length === 1 && keys[0] === '$bigint') return BigInt(record.$bigint as string);
  if (keys.length === 1 && keys[0] === '$float') return FLOATS[record.$float as string];
  for (const key of keys) setOwn(record, key, revive(record[key]));
  return value;
}

/** The answer a call must give: the README's where the precedence decision differs, else Python's. */
export const expected = (call: HostileItem['calls'][number]): boolean => call.readme_result ?? call.python_result;

/**
 * Asserts that `ours` (JSON text we stored) holds, in Python's dialect, the value `python` holds,
 * with every number's text identical. Not compared, as the conformance README says: spacing,
 * string escapes, object key order, and the order of `key_whitelist` (Python writes a set).
 */
export function expectSameStoredJson(ours: string, python: string, label: string): void {
  expectSameTree(parseStoredJson(ours), parseStoredJson(python), label, '$');
}

function expectSameTree(ours: StoredJson, python: StoredJson, label: string, path: string): void {
  const where = `${label} at ${path}`;
  if (python instanceof StoredNumber) {
    expect(ours, where).to.be.instanceOf(StoredNumber);
    expect((ours as StoredNumber).text, where).to.equal(python.text);
  } else if (Array.isArray(python)) {
    expect(ours, where).to.be.an('array').with.length(python.length);
    let items = ours as StoredJson[];
    let want = python;
    if (path.endsWith('.key_whitelist')) [items, want] = [[...items].sort(), [...want].sort()];
    want.forEach((item, i) => expectSameTree(items[i], item, label, `${path}[${i}]`));
  } else if (isStoredObject(python)) {
    expect(isStoredObject(ours), where).to.equal(true);
    const mine = ours as Record<string, StoredJson>;
    expect(Object.keys(mine).sort(), where).to.deep.equal(Object.keys(python).sort());
    for (const key of Object.keys(python)) expectSameTree(mine[key], python[key], label, `${path}.${key}`);
  } else {
    expect(ours, where).to.equal(python);
  }
}
