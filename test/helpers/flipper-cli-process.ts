import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../server/flipper-cli/program';
import { until } from './replica-waits';

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
  // No signal reaches a run inside this process: a command that runs until stopped is run as a process.
  const onStop = () => () => undefined;
  const code = await runCli(args, { stdout, stderr, stdin, colour: true, interactive: true, env: {}, now, onStop });
  return { code, stdout: out, stderr: err };
}

/** A command that runs until stopped (`flipper watch`), as a process whose output is read as it comes. */
export interface RunningCommand {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once `stream` holds `text` (rejects after `ms`, with what the process printed). */
  waitFor(stream: 'stdout' | 'stderr', text: string, ms?: number): Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Starts `flipper ARGS` (stdout and stderr are pipes, not a terminal). */
export function startFlipper(args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningCommand {
  return following(
    spawn(process.execPath, [FLIPPER, ...args], { env: { ...process.env, NO_COLOR: undefined, ...env } }),
  );
}

/** Starts a bash script (a pipeline around `flipper`), read as it runs. */
export function startShell(script: string): RunningCommand {
  return following(spawn('bash', ['-e', '-o', 'pipefail', '-c', script]));
}

function following(child: ChildProcess): RunningCommand {
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    waitFor: async (stream, text, ms = 10_000) => {
      try {
        await until(() => output[stream].includes(text), `${JSON.stringify(text)} on ${stream}`, ms);
      } catch (error) {
        throw new Error(`${(error as Error).message}; stdout: ${output.stdout}; stderr: ${output.stderr}`, {
          cause: error,
        });
      }
    },
    exited,
  };
}
