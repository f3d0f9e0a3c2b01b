// Every shell block of the README runs here as written (with FLIPPER_PORT set where a fixed port
// could be taken on a shared machine), or carries the reason it cannot in its directive.
import { expect } from 'chai';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryFeatureFlagStore } from '../client';
import { FlagServer } from '../server/flag-server';
import { fencedBlocks, type ReadmeBlock } from './helpers/readme-blocks';
import {
  cleanCopy,
  linkedModules,
  pythonQuickstart,
  runShell,
  runShellServer,
  tempFolder,
} from './helpers/readme-shell';
import { quietLogger } from './helpers/rpc-served';

const ROOT = join(__dirname, '..', '..');

/** How a directive runs a block. */
const SETUPS: Record<string, (block: ReadmeBlock, dir: string) => Promise<void>> = {
  /** In a clean copy of the repository: a server command, stopped with SIGTERM once it listens. */
  'shell-server': async (block, dir) => {
    await cleanCopy(dir);
    linkedModules(dir);
    const ran = await runShellServer(block.code, dir, /"msg":"listening"/, { FLIPPER_PORT: '0' });
    const listening = ran.stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
    expect(listening, ran.stdout + ran.stderr).to.not.equal(undefined);
    expect(JSON.parse(listening!)).to.include({ address: '127.0.0.1', storeReachable: true, transport: 'buffered' });
    expect(JSON.parse(listening!).store).to.equal(`sqlite:${join(dir, 'data', 'flags.db')}`);
    expect(ran.stdout).to.include('"msg":"stopped"');
  },
  /** With the Makefile and the IDL, the README's quickstart.py, and a flag server on FLIPPER_PORT. */
  'shell-python': async (block, dir) => {
    await cleanCopy(dir, ['Makefile', 'thrift']);
    writeFileSync(join(dir, 'quickstart.py'), pythonQuickstart());
    const server = new FlagServer({ store: new MemoryFeatureFlagStore(), port: 0, logger: quietLogger });
    const { port } = await server.listen();
    try {
      const ran = await runShell(block.code, dir, { FLIPPER_PORT: String(port) });
      expect(ran.code, ran.stderr).to.equal(0);
      expect(ran.stdout.trim().split('\n').at(-1)).to.equal('True');
    } finally {
      await server.close();
    }
  },
  /** In an application with the package installed (a link to this checkout). */
  'shell-app': async (block, dir) => {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'flipper-client'));
    const ran = await runShell(block.code, dir);
    expect(ran.code, ran.stderr).to.equal(0);
    const comment = block.code.match(/#\s+(\S+(?:\s+\S+)*)\s*$/m)?.[1] ?? '';
    for (const word of comment.split(/\s+/)) expect(ran.stdout).to.include(word);
  },
};

describe('every README shell block runs as written', function () {
  this.timeout(180_000);
  const blocks = fencedBlocks('sh');

  it('finds the shell blocks, each with a directive', function () {
    expect(blocks.length).to.be.at.least(4);
    for (const block of blocks) {
      expect(block.directive, `README line ${block.line}: a <!-- readme-test: ... --> directive`).to.be.a('string');
    }
    // Other fences a reader might paste into a shell must be sh, so they run here too.
    expect(fencedBlocks('bash')).to.deep.equal([]);
    expect(fencedBlocks('shell')).to.deep.equal([]);
  });

  for (const block of blocks) {
    it(`README line ${block.line} (${block.directive ?? 'no directive'})`, async function () {
      const directive = block.directive ?? '';
      if (directive.startsWith('skip:')) this.skip(); // the reason is in the README, next to the block
      // The Operating section's blocks share one server process, in order: test/readme-operating.test.ts runs them.
      if (directive === 'operating') this.skip();
      const setup = SETUPS[directive];
      expect(setup, `no shell setup named "${directive}"`).to.not.equal(undefined);
      const folder = tempFolder('flipper-readme-shell-');
      try {
        await setup(block, folder.dir);
      } finally {
        folder.remove();
      }
    });
  }
});
