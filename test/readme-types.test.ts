import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { readmeBlocks } from './helpers/readme-blocks';

const ROOT = join(__dirname, '..', '..');

describe('README examples type-check against the library, as a user compiles them', function () {
  this.timeout(120_000);

  it('has no type errors in any ```ts block (strict mode)', function () {
    // Inside the project, so the examples' own imports (ioredis, pg) resolve from node_modules.
    const dir = mkdtempSync(join(ROOT, 'dist', 'readme-types-'));
    try {
      const files = readmeBlocks()
        .filter((b) => !(b.directive ?? '').startsWith('skip:'))
        .map((block) => {
          const file = join(dir, `line-${block.line}.ts`);
          writeFileSync(file, block.code + '\nexport {};\n');
          return file;
        });
      const program = ts.createProgram(files, {
        strict: true,
        noEmit: true,
        noImplicitOverride: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ES2022,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        baseUrl: ROOT,
        paths: {
          'flipper-client': [join(ROOT, 'client', 'index.ts')],
          'flipper-client/openfeature': [join(ROOT, 'client', 'openfeature', 'index.ts')],
        },
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        types: ['node'],
        skipLibCheck: true,
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file && d.file.fileName.startsWith(dir))
        .map((d) => {
          const where = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
          const name = d.file!.fileName.slice(dir.length + 1);
          return `${name}:${where.line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        });
      expect(problems).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
