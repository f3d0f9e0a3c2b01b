import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectedOutput, readmeBlocks, runBlock } from './helpers/readme-blocks';
import { readmeSetups } from './helpers/readme-setups';

describe('every README example runs and prints what it says', function () {
  this.timeout(60_000);
  const blocks = readmeBlocks();

  it('finds the examples', function () {
    expect(blocks.length).to.be.greaterThan(8);
  });

  it('never shows a cache without a ttl (it would never see a change made elsewhere)', function () {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const caches = [...readme.matchAll(/new CachedFeatureFlagStore\((?!store, options\?\))[^;`]*/g)].map((m) => m[0]);
    expect(caches.length).to.be.at.least(3);
    for (const cache of caches) expect(cache).to.match(/\bttl: \d+/);
  });

  for (const block of blocks) {
    const title = `README line ${block.line}${block.directive ? ` (${block.directive})` : ''}`;
    it(title, async function () {
      const directive = block.directive ?? '';
      if (directive.startsWith('skip:')) {
        // A template, not an example: it names code the reader writes. The reason is in the README.
        this.skip();
      }
      const setup = readmeSetups[directive || 'none'];
      expect(setup, `no setup named "${directive}" in test/helpers/readme-setups.ts`).to.not.equal(undefined);
      const context = await setup.before();
      try {
        const printed = await runBlock(block.code, context.globals);
        const expected = expectedOutput(block.code);
        expect(printed.slice(0, expected.length)).to.deep.equal(expected);
      } finally {
        await context.after();
      }
    });
  }
});
