import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logRecords, startServerProcess, CLI, type ServerProcess } from './helpers/flag-server-process';
import { FLIPPER } from './helpers/flipper-cli-process';

/** A ```sh block of the README with the directive comment above it. */
interface ShellBlock {
  line: number;
  code: string;
  directive?: string;
}

function shellBlocks(): ShellBlock[] {
  const lines = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8').split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```sh') continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i]);
    let prev = start - 1;
    while (prev > 0 && lines[prev].trim() === '') prev--;
    const directive = lines[prev]?.match(/<!--\s*readme-test:\s*(.*?)\s*-->/)?.[1];
    blocks.push({ line: start + 1, code: body.join('\n'), directive });
  }
  return blocks;
}

/** The README's own port for the HTTP listener; the test's server listens on a free one instead. */
const README_HTTP = '127.0.0.1:8080';

/**
 * The "Operating" section's shell blocks (`<!-- readme-test: operating -->`), in order, in one
 * directory, against one flag server (memory store, HTTP listener on): `flipper` and
 * `flipper-server` are the built commands, `$FLIPPER_SERVER` names the server. Each block's
 * stdout must be exactly its `# => ` lines.
 */
describe('README: the Operating shell blocks run and print what they say', function () {
  this.timeout(60_000);
  const blocks = shellBlocks().filter((b) => b.directive === 'operating');
  let server: ServerProcess;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let http: string;

  before(async function () {
    server = await startServerProcess(['--store', 'memory', '--http-port', '0']);
    const httpPort = logRecords(server).find((r) => r.msg === 'http listening')?.httpPort as number;
    http = `127.0.0.1:${httpPort}`;
    dir = mkdtempSync(join(tmpdir(), 'readme-operating-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const [name, script] of [
      ['flipper', FLIPPER],
      ['flipper-server', CLI],
    ]) {
      writeFileSync(join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
      chmodSync(join(bin, name), 0o755);
    }
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FLIPPER_SERVER: `127.0.0.1:${server.port}` };
    delete env.NO_COLOR;
  });

  after(async function () {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the blocks', function () {
    expect(blocks.length).to.be.at.least(4);
  });

  for (const block of shellBlocks()) {
    if (block.directive === undefined || !block.directive.startsWith('skip:')) continue;
    it(`README line ${block.line} is skipped for a reason given there`, function () {
      expect(block.directive!.slice(5).trim()).to.not.equal('');
    });
  }

  for (const block of blocks) {
    it(`README line ${block.line}`, async function () {
      const script = block.code.split(README_HTTP).join(http);
      const expected = block.code
        .split('\n')
        .filter((l) => l.startsWith('# => '))
        .map((l) => l.slice(5));
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: dir, env }, (error, out, err) => {
          if (error) reject(new Error(`${error.message}\n${err}`));
          else resolve(out);
        });
      });
      expect(stdout.split('\n').slice(0, -1)).to.deep.equal(expected);
    });
  }
});
