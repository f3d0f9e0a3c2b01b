import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fencedBlocks } from './readme-blocks';

const ROOT = join(__dirname, '..', '..', '..');
const run = promisify(execFile);

/** A folder holding the tracked files of this checkout, as a fresh clone has them (no dist/). */
export async function cleanCopy(into: string, only?: string[]): Promise<void> {
  const listed = await run('git', ['ls-files', '-z', ...(only ?? [])], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    const tar = execFile(
      'tar',
      ['-cf', '-', '--null', '-T', '-'],
      { cwd: ROOT, encoding: 'buffer', maxBuffer: 1 << 30 },
      (error, out) => {
        if (error) return reject(error);
        const untar = execFile('tar', ['-xf', '-'], { cwd: into }, (e) => (e ? reject(e) : resolve()));
        untar.stdin!.end(out);
      },
    );
    tar.stdin!.end(listed.stdout);
  });
}

/**
 * The project's installed packages for a copy: a node_modules/ of links to this checkout's (so an
 * `npm ci` there could only remove links), stamped as installed for the Makefile.
 */
export function linkedModules(project: string): void {
  const modules = join(project, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  writeFileSync(join(modules, '.installed'), '');
}

/** What a README shell block printed, and how it ended. */
export interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a block with bash (`-e`: a failing line fails it) in `cwd`, to its end. */
export async function runShell(code: string, cwd: string, env: NodeJS.ProcessEnv = {}): Promise<ShellRun> {
  return run('bash', ['-e', '-c', code], { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }).then(
    (out) => ({ code: 0, stdout: out.stdout, stderr: out.stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/**
 * Runs a block that starts a server and does not end: resolves with what it printed once a line
 * matches `ready`, after SIGTERM to the block's whole process group and its exit.
 */
export async function runShellServer(
  code: string,
  cwd: string,
  ready: RegExp,
  env: NodeJS.ProcessEnv = {},
  ms = 120_000,
): Promise<ShellRun> {
  const child = spawn('bash', ['-e', '-c', code], { cwd, env: { ...process.env, ...env }, detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close': every process of the block let go of its output, so none is left running.
  const exited = new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  const deadline = Date.now() + ms;
  while (!ready.test(stdout) && child.exitCode === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
  const code_ = await exited;
  return { code: code_, stdout, stderr };
}

/** A fresh temporary folder. */
export function tempFolder(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The README's Python example (the block starting `# quickstart.py`). */
export function pythonQuickstart(): string {
  const block = fencedBlocks('python').find((b) => b.code.startsWith('# quickstart.py'));
  if (!block) throw new Error('no # quickstart.py block in the README');
  return block.code;
}
