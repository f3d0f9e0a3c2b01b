// The package as a new user gets it: `npm pack`ed, installed into an empty app with none of the
// optional peers, type-checked in strict mode without skipLibCheck as an ES module (nodenext), as
// CommonJS (.cts) and for a bundler, then run against Redis and a flag server. And a clean clone
// installed as a folder (`npm install ../flipper-client`), which builds itself.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import ts from 'typescript';
import { MemoryFeatureFlagStore } from '../client';
import { FlagServer } from '../server/flag-server';
import { packInto } from './helpers/packed-package';
import { cleanCopy } from './helpers/readme-shell';
import { quietLogger } from './helpers/rpc-served';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);
const OPTIONAL_PEERS = ['better-sqlite3', 'pg', '@aws-sdk/client-s3', 'consul'];

/** Uses the client, the Redis store and the RPC store; prints what it read. `main` wraps it for CommonJS. */
const program = (wrap: boolean) => `
import { FeatureFlagClient, RedisFeatureFlagStore, ThriftRPCFeatureFlagStore } from 'flipper-client';
import { Redis } from 'ioredis';

${wrap ? 'async function main(): Promise<void> {' : ''}
const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
redis.on('error', () => {});
const viaRedis = new FeatureFlagClient(new RedisFeatureFlagStore(redis, { baseKey: process.env.PREFIX ?? 'x' }));
await viaRedis.create('checkout', { isEnabled: true, clientData: { owner: 'payments' } });
const fromRedis: boolean = await viaRedis.isEnabled('checkout');

const rpc = new ThriftRPCFeatureFlagStore({ host: '127.0.0.1', port: Number(process.env.FLIPPER_PORT) }, { timeout: 2000 });
const viaRpc = new FeatureFlagClient(rpc);
await viaRpc.create('dark-mode');
await viaRpc.enable('dark-mode');
const fromRpc: boolean = await viaRpc.isEnabled('dark-mode', { user_id: 1 });
const missing: boolean = await viaRpc.exists('nope');

await rpc.close();
await redis.quit();
console.log(JSON.stringify({ fromRedis, fromRpc, missing }));
${wrap ? '}\nvoid main();' : ''}
`;

interface Variant {
  file: string;
  out: string;
  options: ts.CompilerOptions;
  wrap: boolean;
}

const VARIANTS: Variant[] = [
  {
    file: 'esm.mts',
    out: 'esm.mjs',
    options: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
    wrap: false,
  },
  {
    file: 'cjs.cts',
    out: 'cjs.cjs',
    options: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
    wrap: true,
  },
  {
    file: 'bundler.ts',
    out: 'bundler.mjs',
    options: { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
    wrap: false,
  },
];

/** Every diagnostic of a strict program over `file`, declaration files of node_modules included. */
function typeErrors(file: string, options: ts.CompilerOptions): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    types: ['node'],
    skipLibCheck: false,
    ...options,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}

async function newApp(dir: string, name: string): Promise<string> {
  const app = join(dir, name);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  return app;
}

const npmInstall = (app: string, what: string) =>
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', what], {
    cwd: app,
    maxBuffer: 16 * 1024 * 1024,
  });

describe('the package installed into a new app', function () {
  this.timeout(300_000);
  let dir: string;
  let app: string;
  let server: FlagServer;
  let port: number;
  const prefix = `pkg-install-${process.pid}-${Date.now()}`;

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'flipper-package-install-'));
    const tarball = await packInto(dir);
    app = await newApp(dir, 'app');
    await npmInstall(app, tarball);
    server = new FlagServer({ store: new MemoryFeatureFlagStore(), port: 0, logger: quietLogger });
    ({ port } = await server.listen());
  });

  after(async function () {
    await server?.close();
    const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    try {
      const keys = await redis.keys(`${prefix}/*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      await redis.quit();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs none of the optional peers', function () {
    for (const peer of OPTIONAL_PEERS) expect(existsSync(join(app, 'node_modules', peer)), peer).to.equal(false);
    expect(existsSync(join(app, 'node_modules', 'flipper-client', 'dist', 'client', 'index.d.ts'))).to.equal(true);
  });

  for (const variant of VARIANTS) {
    it(`${variant.file}: type-checks (strict, no skipLibCheck) and runs`, async function () {
      const file = join(app, variant.file);
      writeFileSync(file, program(variant.wrap));
      expect(typeErrors(file, variant.options)).to.deep.equal([]);
      const js = ts.transpileModule(program(variant.wrap), {
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: variant.out.endsWith('.cjs') ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext,
        },
      }).outputText;
      writeFileSync(join(app, variant.out), js);
      const { stdout } = await run(process.execPath, [variant.out], {
        cwd: app,
        env: { ...process.env, PREFIX: `${prefix}-${variant.out}`, FLIPPER_PORT: String(port) },
      });
      expect(JSON.parse(stdout)).to.deep.equal({ fromRedis: true, fromRpc: true, missing: false });
    });
  }

  it('a store whose driver is missing says, in one line, what to install', async function () {
    const { stdout } = await run(
      process.execPath,
      [
        '-e',
        `const { SQLiteFeatureFlagStore } = require('flipper-client');
         try { new SQLiteFeatureFlagStore(':memory:'); } catch (e) { console.log(e.name + ': ' + e.message); }`,
      ],
      { cwd: app },
    );
    expect(stdout).to.equal(
      'StoreError: SQLiteFeatureFlagStore needs the better-sqlite3 package, which is not installed: npm install better-sqlite3@12\n',
    );
  });

  it('flipper-server: --version, and a missing driver is one line on stderr with exit 1', async function () {
    const bin = join(app, 'node_modules', '.bin', 'flipper-server');
    expect((await run(bin, ['--version'], { cwd: app })).stdout).to.match(/^\d+\.\d+\.\d+/);
    for (const [store, install] of [
      ['postgres://postgres@127.0.0.1:5432/test', 'npm install pg'],
      ['sqlite:./data/flags.db', 'npm install better-sqlite3@12'],
    ]) {
      const exit = await run(bin, ['--port', '0', '--store', store], { cwd: app }).then(
        () => ({ code: 0, stdout: '', stderr: '' }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(exit.code, store).to.equal(1);
      expect(exit.stdout).to.equal('');
      expect(exit.stderr.trimEnd().split('\n'), exit.stderr).to.have.length(1);
      expect(exit.stderr).to.match(
        new RegExp(`^flipper-server: .*needs the .* package, which is not installed: ${install}\\n$`),
      );
    }
  });

  it('a clean clone installs as a folder (npm install <folder>) and builds itself', async function () {
    const clone = join(dir, 'clone');
    mkdirSync(clone);
    // The tracked files of this checkout, as a fresh clone has them: no dist/, no node_modules/.
    await cleanCopy(clone);
    expect(existsSync(join(clone, 'dist'))).to.equal(false);
    const folderApp = await newApp(dir, 'folder-app');
    await npmInstall(folderApp, clone);
    const out = await run(
      process.execPath,
      [
        '-e',
        `const { FeatureFlagClient, MemoryFeatureFlagStore } = require('flipper-client');
         const f = new FeatureFlagClient(new MemoryFeatureFlagStore());
         f.create('x', { isEnabled: true }).then(() => f.isEnabled('x')).then((v) => console.log(v));`,
      ],
      { cwd: folderApp },
    );
    expect(out.stdout).to.equal('true\n');
  });
});
