import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { packInto } from './helpers/packed-package';
import { readmeBlocks } from './helpers/readme-blocks';

// The conformance suite as a third-party store author gets it: `npm pack`ed, installed into an app
// of its own, and run by mocha in a child process against stores written here.

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/** What a tiny store gets wrong, to show the suite fails it. */
interface Defects {
  /** Lists in insertion order. */
  unsorted?: boolean;
  /** Reads a flag that does not parse as absent. */
  swallowsBadItems?: boolean;
  /** Declares backend faults with a store that never answers, and one that rejects with a plain Error. */
  badFaults?: boolean;
}

/** A store keeping each flag's JSON in a Map, in plain CommonJS, with the given defects. */
const tinyStoreSpec = (name: string, defects: Defects = {}) => `
const { SerializedFeatureFlagStore } = require('flipper-client');
const { describeStoreConformance } = require('flipper-client/testing');

class TinyStore extends SerializedFeatureFlagStore {
  constructor(rows, options) {
    super(options);
    this.rows = rows;
  }
  async readRaw(name) { return this.rows.get(name); }
  async writeRaw(name, json) { this.rows.set(name, json); }
  async deleteRaw(name) { this.rows.delete(name); }
  async writeIfUnchanged(name, json, expected) {
    if (this.rows.get(name) !== expected?.raw.toString()) return false;
    this.rows.set(name, json);
    return true;
  }
  async listRaw(limit, offset) {
    const rows = [...this.rows];
    ${defects.unsorted ? '' : 'rows.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));'}
    return rows.slice(offset, limit === undefined ? undefined : offset + limit);
  }
  ${defects.swallowsBadItems ? 'async get(name) { return super.get(name).catch(() => undefined); }' : ''}
}

const methods = ['get', 'list', 'create', 'set', 'setMeta', 'delete', 'close'];
const storeWhere = (call) => Object.fromEntries(methods.map((m) => [m, call]));

describeStoreConformance(${JSON.stringify(name)}, {
  makeStore: ({ logger }) => new TinyStore(new Map(), { logger }),
  writeRaw: async (store, name, text) => void store.rows.set(name, text),
  readRaw: async (store, name) => store.rows.get(name),
  makeNeighbour: ({ logger }) => new TinyStore(new Map(), { logger }),
  makeSecondStore: (store, { logger }) => new TinyStore(store.rows, { logger }),
  ${
    defects.badFaults
      ? `hangingBackend: { makeStore: () => storeWhere(() => new Promise(() => {})), withinMs: 200 },
  unreachableBackend: { makeStore: () => storeWhere(async () => { throw new Error('down'); }), withinMs: 200 },`
      : ''
  }
});
`;

/** The package's own memory store, through the ES module entry points. */
const esmSpec = `
import { MemoryFeatureFlagStore } from 'flipper-client';
import { describeStoreConformance } from 'flipper-client/testing';

describeStoreConformance('memory through import', { makeStore: () => new MemoryFeatureFlagStore() });
`;

interface MochaReport {
  stats: { passes: number; failures: number; pending: number };
  failures: Array<{ fullTitle: string; err: { message: string } }>;
  pending: Array<{ fullTitle: string }>;
  passes: Array<{ fullTitle: string }>;
}

describe('flipper-client/testing, from the packed package', function () {
  this.timeout(120_000);
  let dir: string;
  let app: string;

  /** Runs mocha on spec files of the app; the exit code is the number of failures. */
  async function mocha(...specs: string[]): Promise<{ code: number; report: MochaReport }> {
    const args = [join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--reporter', 'json', ...specs];
    const done = await run(process.execPath, args, { cwd: app, maxBuffer: 64 * 1024 * 1024 }).then(
      (out) => ({ code: 0, stdout: out.stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    return { code: done.code, report: JSON.parse(done.stdout) as MochaReport };
  }

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'flipper-testing-package-'));
    await run('tar', ['-xzf', await packInto(dir), '-C', dir]);
    app = join(dir, 'app');
    const modules = join(app, 'node_modules');
    mkdirSync(modules, { recursive: true });
    renameSync(join(dir, 'package'), join(modules, 'flipper-client'));
    // The package's dependencies and the suite's peers, from this repository: no network, no install.
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const name of [...Object.keys(manifest.dependencies), 'mocha', 'chai']) {
      symlinkSync(join(ROOT, 'node_modules', name), join(modules, name), 'dir');
    }
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes a tiny store written here, and the memory store through import; every skip says why', async function () {
    writeFileSync(join(app, 'tiny-store.spec.cjs'), tinyStoreSpec('TinyStore'));
    writeFileSync(join(app, 'memory.spec.mjs'), esmSpec);
    const { code, report } = await mocha('tiny-store.spec.cjs', 'memory.spec.mjs');
    expect(report.failures.map((f) => f.fullTitle)).to.deep.equal([]);
    expect(code).to.equal(0);
    const tiny = report.passes.filter((p) => p.fullTitle.includes('TinyStore'));
    expect(tiny.length, 'the contract and every declared capability ran').to.be.at.least(15);
    expect(report.passes.some((p) => p.fullTitle.includes('memory through import'))).to.equal(true);
    const skippedTiny = report.pending.filter((p) => p.fullTitle.includes('TinyStore')).map((p) => p.fullTitle);
    expect(skippedTiny.map((title) => title.replace(/^.*\(skipped: /, ''))).to.deep.equal([
      'TinyStore declares no unreachableBackend)',
      'TinyStore declares no hangingBackend)',
    ]);
    for (const skipped of report.pending) expect(skipped.fullTitle).to.match(/\(skipped: .+\)$/);
  });

  it('fails a tiny store case by case, each with what it got wrong', async function () {
    const defects: Array<[Defects, string, RegExp]> = [
      [{ unsorted: true }, 'on a fresh store per case lists in ascending UTF-8 order with limit and offset', /deep/],
      [{ swallowsBadItems: true }, 'on a fresh store per case stored text that is not a flag', /InvalidItemError/],
      [
        { badFaults: true },
        'on a backend that fails a backend that accepts and never answers',
        /settles within 200 ms/,
      ],
      [{ badFaults: true }, 'on a backend that fails a backend that refuses connections', /got Error: down/],
    ];
    for (const [i, [defect, title, message]] of defects.entries()) {
      writeFileSync(join(app, `broken-${i}.spec.cjs`), tinyStoreSpec(`Broken${i}`, defect));
      const { code, report } = await mocha(`broken-${i}.spec.cjs`);
      const failed = report.failures.find((f) => f.fullTitle.startsWith(`store conformance: Broken${i} ${title}`));
      expect(failed, `${JSON.stringify(defect)}: ${title}`).to.not.equal(undefined);
      expect(failed!.err.message).to.match(message);
      expect(code).to.be.greaterThan(0);
      expect(report.stats.passes, 'the other cases still ran').to.be.at.least(10);
    }
  });

  describe("the README's store for third-party authors", function () {
    const block = readmeBlocks().find((b) => b.code.includes("from 'flipper-client/testing'"));

    it('type-checks in strict mode against the packed package', function () {
      expect(block, 'a README block importing flipper-client/testing').to.not.equal(undefined);
      const file = join(app, 'readme-store.spec.ts');
      writeFileSync(file, block!.code);
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.Node16,
        moduleResolution: ts.ModuleResolutionKind.Node16,
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        types: ['node'],
        skipLibCheck: true,
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file?.fileName === file)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(problems).to.deep.equal([]);
    });

    it('passes the suite under mocha', async function () {
      const js = ts.transpileModule(block!.code, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      writeFileSync(join(app, 'readme-store.spec.cjs'), js);
      const { code, report } = await mocha('readme-store.spec.cjs');
      expect(report.failures.map((f) => f.fullTitle)).to.deep.equal([]);
      expect(code).to.equal(0);
      expect(report.stats.passes).to.be.at.least(15);
    });
  });
});
