import { expect } from 'chai';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const ROOT = join(__dirname, '..', '..');

/** Lints `code` as if it were the project file `shared/json.ts`, with the project's config. */
async function problems(code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, 'shared', 'json.ts') });
  return result.messages.map((m) => m.ruleId ?? m.message);
}

describe('ESLint forbids assigning a computed string key (a "__proto__" key would set the prototype)', function () {
  this.timeout(60_000);

  it('flags obj[key] = value, +=, ??= and ++ with a string key, and allows number keys and fixed literal keys', async function () {
    const found = await problems(
      [
        'export function f(obj: Record<string, number>, key: string, list: number[], i: number): void {',
        '  obj[key] = 1;',
        '  obj[key] += 1;',
        '  obj[key] ??= 1;',
        '  obj[key]++;',
        "  obj['__proto__'] = 1;",
        '  list[i] = 1;',
        "  obj['fixed'] = 1;",
        "  const k = 'a' as 'a' | 'b';",
        '  obj[k] = 1;',
        '}',
        '',
      ].join('\n'),
    );
    expect(found.filter((r) => r === 'local/no-data-key-assignment')).to.have.length(5);
    expect(found.filter((r) => r !== 'local/no-data-key-assignment')).to.deep.equal([]);
  });
});
