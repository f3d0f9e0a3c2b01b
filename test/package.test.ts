import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' }).trim();
}

const PROGRAM = `
  const features = new FeatureFlagClient(new MemoryFeatureFlagStore());
  await features.create('F', { isEnabled: true });
  console.log(await features.isEnabled('F'));
`;

describe('the npm package', function () {
  this.timeout(20_000);

  it('works with require (CommonJS)', function () {
    const out = node([
      '-e',
      `const { FeatureFlagClient, MemoryFeatureFlagStore } = require('flipper-client');
       (async () => { ${PROGRAM} })();`,
    ]);
    expect(out).to.equal('true');
  });

  it('works with import (ES modules), named exports included', function () {
    const out = node([
      '--input-type=module',
      '-e',
      `import { FeatureFlagClient, MemoryFeatureFlagStore, decorators } from 'flipper-client';
       if (typeof decorators.isEnabled !== 'function') throw new Error('decorators missing');
       ${PROGRAM}`,
    ]);
    expect(out).to.equal('true');
  });

  it('ships type declarations for its main entry', function () {
    expect(existsSync(join(ROOT, 'dist', 'client', 'index.d.ts'))).to.equal(true);
  });

  it('names every path of exports and bin relative to the package (./), as nodenext and bundler resolution need', function () {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
      bin: Record<string, string>;
    };
    const paths = Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)));
    paths.push(...Object.values(manifest.bin));
    expect(paths.length).to.be.greaterThan(6);
    for (const path of paths) {
      expect(path, path).to.match(/^\.\//);
      expect(existsSync(join(ROOT, path)), path).to.equal(true);
    }
  });
});
