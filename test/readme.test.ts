import { expect } from 'chai';
import { expectedOutput, readmeBlocks, runBlock } from './helpers/readme-blocks';
import { readmeSetups } from './helpers/readme-setups';

describe('every README example runs and prints what it says', function () {
  this.timeout(60_000);
  const blocks = readmeBlocks();

  it('finds the examples', function () {
    expect(blocks.length).to.be.greaterThan(8);
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
