import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import ts from 'typescript';

export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** The text of an HTML comment right above the fence (`<!-- readme-test: NAME -->`), if any. */
  directive?: string;
}

/** Every ```ts block of the README, with the directive comment above it. */
export function readmeBlocks(path = join(__dirname, '..', '..', '..', 'README.md')): ReadmeBlock[] {
  return fencedBlocks('ts', path);
}

/** Every block of the README fenced with ```LANGUAGE (`sh`, `python`...), with its directive. */
export function fencedBlocks(language: string, path = join(__dirname, '..', '..', '..', 'README.md')): ReadmeBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```' + language) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i]);
    let prev = start - 1;
    while (prev > 0 && lines[prev].trim() === '') prev--; // Prettier puts a blank line after the comment
    const above = lines[prev]?.match(/<!--\s*readme-test:\s*(.*?)\s*-->/);
    blocks.push({ line: start + 1, code: body.join('\n'), directive: above?.[1] });
  }
  return blocks;
}

/**
 * What a block says it prints: a `// => text` comment ends a `console.log` line, or stands alone
 * on the next line. Returned in order.
 */
export function expectedOutput(code: string): string[] {
  const expected: string[] = [];
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const inline = lines[i].match(/console\.log\(.*\/\/ => (.*)$/);
    if (inline) expected.push(inline[1]);
    else if (/^\s*\/\/ => /.test(lines[i])) expected.push(lines[i].replace(/^\s*\/\/ => /, ''));
  }
  return expected;
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...args: string[]
) => (...args: unknown[]) => Promise<void>;

/**
 * Runs a block as a user would: TypeScript transpiled to CommonJS, `flipper-client` resolved to
 * the built package, top-level await allowed. `globals` are visible to the block by name.
 * Returns what it printed with console.log.
 */
export async function runBlock(code: string, globals: Record<string, unknown> = {}): Promise<string[]> {
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const printed: string[] = [];
  const fakeConsole = { ...console, log: (...args: unknown[]) => printed.push(format(...args)) };
  const packageEntry = join(__dirname, '..', '..', 'client', 'index.js');
  const openfeatureEntry = join(__dirname, '..', '..', 'client', 'openfeature', 'index.js');
  const entries = new Map([
    ['flipper-client', packageEntry],
    ['flipper-client/openfeature', openfeatureEntry],
  ]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the block's own imports, resolved at run time
  const localRequire = (id: string) => require(entries.get(id) ?? id);
  const names = Object.keys(globals);
  const fn = new AsyncFunction('require', 'exports', 'module', 'console', ...names, js);
  const module = { exports: {} };
  await fn(localRequire, module.exports, module, fakeConsole, ...names.map((n) => globals[n]));
  return printed;
}
