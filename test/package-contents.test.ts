import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { expectSameList } from './helpers/expected-list';

const ROOT = join(__dirname, '..', '..');

interface PackEntry {
  files: { path: string }[];
}

/** What `npm pack` would put in the tarball, as npm computes it (files, .npmignore, always-included). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [entry] = JSON.parse(out) as PackEntry[];
  return entry.files.map((f) => f.path);
}

/** How a declaration reads to a user: class, interface, type, enum, function, const or namespace. */
function kindOf(symbol: ts.Symbol): string {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Variable) return 'const';
  if (f & ts.SymbolFlags.ValueModule) return 'namespace';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  return `flags ${f}`;
}

const surfaces = new Map<string, Map<string, string>>();

/**
 * The names a declaration file (`dist/client/index.d.ts` by default) exports and their kinds, read
 * by the TypeScript compiler (once per file).
 */
function declaredSurface(declarations = 'dist/client/index.d.ts'): Map<string, string> {
  let surface = surfaces.get(declarations);
  if (!surface) surfaces.set(declarations, (surface = readSurface(join(ROOT, declarations))));
  return surface;
}

function readSurface(entry: string): Map<string, string> {
  const program = ts.createProgram([entry], { strict: true, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const surface = new Map<string, string>();
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    surface.set(exported.name, kindOf(target));
  }
  return surface;
}

/** The names a user's `require('flipper-client')` or `import * from 'flipper-client'` gets, sorted. */
function runtimeNames(how: 'require' | 'import'): string[] {
  const script =
    how === 'require'
      ? `console.log(JSON.stringify(Object.keys(require('flipper-client'))))`
      : `import * as m from 'flipper-client'; console.log(JSON.stringify(Object.keys(m)))`;
  const args = how === 'require' ? ['-e', script] : ['--input-type=module', '-e', script];
  const out = execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  // Interop markers, not names a user imports.
  return (JSON.parse(out) as string[]).filter((name) => name !== 'default' && name !== '__esModule').sort();
}

const VALUE_KINDS = new Set(['class', 'enum', 'function', 'const', 'namespace']);

describe('the npm package: contents and public surface', function () {
  this.timeout(60_000);

  it('packs exactly the expected files (no tests, no sources, no source maps)', function () {
    // Maps are not shipped: they point at TypeScript sources the package does not carry (issue 11).
    expectSameList(packedFiles(), 'package-files.txt', 'the packed file list');
  });

  it('every path in package.json exports, main and types starts with ./ and exists; bin exists', function () {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    const paths: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === 'string') paths.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(collect);
    };
    collect([pkg.exports, pkg.main, pkg.types]);
    expect(paths).to.have.length.above(4);
    for (const path of paths) {
      // Without ./ TypeScript under nodenext or bundler resolution finds no types (issue 11).
      expect(path, path).to.match(/^\.\//);
      expect(existsSync(join(ROOT, path)), `${path} exists`).to.equal(true);
    }
    // npm writes bin paths without ./ (npm pkg fix strips it); they only need to exist.
    for (const path of Object.values(pkg.bin as Record<string, string>)) {
      expect(existsSync(join(ROOT, path)), `${path} exists`).to.equal(true);
    }
  });

  it('declares exactly the expected names, each of the expected kind', function () {
    const lines = [...declaredSurface()].map(([name, kind]) => `${name} ${kind}`);
    expectSameList(lines, 'public-surface.txt', 'the public surface of dist/client/index.d.ts');
  });

  it('flipper-client/testing declares exactly the expected names, each of the expected kind', function () {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { types?: string }>;
    };
    const lines = [...declaredSurface(pkg.exports['./testing'].types!)].map(([name, kind]) => `${name} ${kind}`);
    expectSameList(lines, 'public-surface-testing.txt', 'the public surface of flipper-client/testing');
  });

  it('flipper-client/openfeature declares exactly the expected names, each of the expected kind', function () {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { types?: string }>;
    };
    const lines = [...declaredSurface(pkg.exports['./openfeature'].types!)].map(([name, kind]) => `${name} ${kind}`);
    expectSameList(lines, 'public-surface-openfeature.txt', 'the public surface of flipper-client/openfeature');
  });

  it('exports at run time (require and import) exactly the values it declares', function () {
    const declaredValues = [...declaredSurface()].filter(([, kind]) => VALUE_KINDS.has(kind)).map(([name]) => name);
    expect(runtimeNames('require')).to.deep.equal([...declaredValues].sort());
    expect(runtimeNames('import')).to.deep.equal([...declaredValues].sort());
  });
});
