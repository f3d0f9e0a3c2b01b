import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const README = join(__dirname, '..', '..', '..', 'README.md');
const CLI = join(__dirname, '..', '..', 'server', 'cli.js');
const FLIPPER = join(__dirname, '..', '..', 'server', 'flipper-cli', 'main.js');

/**
 * A ```sh block of a README section, with the name its directive gives it: the Security section's
 * blocks are marked `<!-- readme-test: skip: test/readme-security.test.ts runs it (NAME) -->`, so the
 * README's generic shell runner leaves them to the test that knows how to run them.
 */
export interface ShellBlock {
  line: number;
  code: string;
  /** NAME, from the directive. */
  directive?: string;
}

/** Every ```sh block between the `## <section>` heading and the next `## ` heading. */
export function shellBlocks(section: string): ShellBlock[] {
  const lines = readFileSync(README, 'utf8').split('\n');
  const start = lines.indexOf(`## ${section}`);
  if (start < 0) throw new Error(`README has no "## ${section}" section`);
  const blocks: ShellBlock[] = [];
  for (let i = start + 1; i < lines.length && !lines[i].startsWith('## '); i++) {
    if (lines[i].trim() !== '```sh') continue;
    const open = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i]);
    let prev = open - 1;
    while (prev > 0 && lines[prev].trim() === '') prev--;
    const above = lines[prev]?.match(/<!--\s*readme-test:.*\((.*?)\)\s*-->/);
    blocks.push({ line: open + 1, code: body.join('\n'), directive: above?.[1] });
  }
  return blocks;
}

/** The block of a section named by its directive. */
export function shellBlock(section: string, directive: string): ShellBlock {
  const block = shellBlocks(section).find((b) => b.directive === directive);
  if (!block) throw new Error(`README section "${section}" has no sh block marked readme-test: ${directive}`);
  return block;
}

/** What a block says it prints: its trailing `# text` comment lines. */
export function shellExpected(code: string): string[] {
  const lines = code.trimEnd().split('\n');
  const expected: string[] = [];
  for (let i = lines.length - 1; i >= 0 && lines[i].startsWith('# '); i--) expected.unshift(lines[i].slice(2));
  return expected;
}

/** A folder holding the `flipper-server` and `flipper` commands (the built ones), to put first on PATH. */
function binDir(cwd: string): string {
  const dir = join(cwd, '.bin');
  mkdirSync(dir, { recursive: true });
  for (const [name, script] of [
    ['flipper-server', CLI],
    ['flipper', FLIPPER],
  ]) {
    const shim = join(dir, name);
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
    chmodSync(shim, 0o755);
  }
  return dir;
}

function shellEnv(cwd: string, env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...env, PATH: `${binDir(cwd)}:${process.env.PATH ?? ''}` };
}

/**
 * Runs a block with `bash -e` in `cwd`; throws with its output when it fails. Returns stdout lines.
 * Asynchronous: a server the block talks to may run in this process.
 */
export function runShell(code: string, cwd: string, env: Record<string, string> = {}): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-e', '-o', 'pipefail', '-c', code],
      { cwd, env: shellEnv(cwd, env), encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`shell block failed (${error.code ?? error.signal}):\n${code}\n${stdout}${stderr}`));
        else resolve(stdout.split('\n').filter((line) => line !== ''));
      },
    );
  });
}

/** A block that starts a server in the foreground, run in the background until `stop()`. */
export interface ShellServer {
  child: ChildProcess;
  lines: string[];
  stop(): Promise<void>;
}

/** Runs a server block in its own process group; resolves once it logs that it listens. */
export async function startShellServer(code: string, cwd: string, env: Record<string, string>): Promise<ShellServer> {
  const child = spawn('bash', ['-e', '-c', code], {
    cwd,
    env: shellEnv(cwd, env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let onEarlyExit: ((status: number | null) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server block did not listen in 15 s: ${stderr}${lines.join('\n')}`)),
      15_000,
    );
    onEarlyExit = (status: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server block exited with ${status}: ${stderr}${lines.join('\n')}`));
    };
    child.once('exit', onEarlyExit);
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
  });
  child.off('exit', onEarlyExit!);
  return {
    child,
    lines,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

/** A TCP port free on loopback now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
