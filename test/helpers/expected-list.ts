import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');

/**
 * Compares `actual` with the list committed in `test/fixtures/<fixture>` (one entry a line) and
 * fails naming what was added and what went missing. `UPDATE_EXPECTED=1 npx mocha <this test>`
 * rewrites the fixture instead, for a change that is meant (review its diff like any other).
 */
export function expectSameList(actual: readonly string[], fixture: string, what: string): void {
  const path = join(FIXTURES, fixture);
  const sorted = [...new Set(actual)].sort();
  if (process.env.UPDATE_EXPECTED === '1') {
    writeFileSync(path, sorted.join('\n') + '\n');
    return;
  }
  const expected = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const expectedSet = new Set(expected);
  const actualSet = new Set(sorted);
  const added = sorted.filter((x) => !expectedSet.has(x));
  const missing = expected.filter((x) => !actualSet.has(x));
  const problems = [
    added.length > 0 ? `added (not in test/fixtures/${fixture}):\n  ${added.join('\n  ')}` : '',
    missing.length > 0 ? `missing (listed in test/fixtures/${fixture}):\n  ${missing.join('\n  ')}` : '',
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new Error(`${what} changed (if meant, rerun with UPDATE_EXPECTED=1)\n${problems.join('\n')}`);
  }
}
