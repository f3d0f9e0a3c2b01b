import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..', '..');
const run = promisify(execFile);

/**
 * `npm pack`s this checkout into `dir`, as published; returns the tarball's path. Without npm's
 * `prepare`: dist/ is built by `make test`, and building it again would rewrite the files that the
 * tests running alongside (mocha --parallel) are loading.
 */
export async function packInto(dir: string): Promise<string> {
  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT });
  const [{ filename }] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
  return join(dir, filename);
}
