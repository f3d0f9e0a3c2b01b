import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';
const ROOT = join(__dirname, '..', '..', '..');

/** Why the Python side cannot run here, or undefined when it can. */
export function missingPython(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import thrift'], { stdio: 'ignore' });
  } catch {
    return `${PYTHON} cannot import thrift (install python3-thrift: make system-deps)`;
  }
  try {
    execFileSync('thrift', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'the thrift compiler is not installed (make system-deps)';
  }
  return undefined;
}

/** Python stubs generated from our IDL into a new temporary folder (the caller removes it). */
export function generatePythonStubs(): string {
  const gen = mkdtempSync(join(tmpdir(), 'flipper-gen-py-'));
  execFileSync('thrift', ['--gen', 'py', '-out', gen, join(ROOT, 'thrift', 'feature_flag_store.thrift')]);
  return gen;
}

/** A script file under test/python. */
export function pythonScript(name: string): string {
  return join(ROOT, 'test', 'python', name);
}
