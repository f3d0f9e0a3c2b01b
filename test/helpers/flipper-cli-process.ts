import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../server/flipper-cli/program';

/** The built `flipper` command. */
export const FLIPPER = join(__dirname, '..', '..', 'server', 'flipper-cli', 'main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `flipper ARGS` as a process (stdin and stdout are pipes, not a terminal). */
export function runFlipper(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [FLIPPER, ...args],
      { env: { ...process.env, NO_COLOR: undefined, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
        if (code === undefined) reject(error);
        else resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

/** Runs the CLI in this process as if at a terminal: colour on, prompts answered from `answers`. */
export async function runFlipperAtTerminal(
  args: readonly string[],
  answers = '',
  now = () => Date.now() / 1000,
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  stdin.end(answers);
  const code = await runCli(args, { stdout, stderr, stdin, colour: true, interactive: true, env: {}, now });
  return { code, stdout: out, stderr: err };
}
