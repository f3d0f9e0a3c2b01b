// How flipper-server fails to start, and starts without its store: each failure is one line on
// stderr (no JSON, no stack, nothing on stdout) with exit 2 for a usage error and 1 for a failure
// of the machine; a network store that does not answer is said once and the server serves anyway.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ThriftRPCFeatureFlagStore } from '../client';
import { unusedPort as closedPort } from '../client/testing/tcp-endpoints';
import { failure } from './helpers/controlled-store';
import { CLI, logRecords, startServerProcess } from './helpers/flag-server-process';

const ROOT = join(__dirname, '..', '..');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command to its end (at most 10 s) in `cwd`. */
function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, env: { ...process.env, FLIPPER_STORE: '', FLIPPER_PORT: '', ...env }, timeout: 10_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** One line on stderr starting with the command's name, and nothing else anywhere. */
function expectOneLine(exit: Exit, code: number, pattern: RegExp): void {
  expect(exit.code, exit.stderr).to.equal(code);
  expect(exit.stdout).to.equal('');
  expect(exit.stderr.endsWith('\n')).to.equal(true);
  expect(exit.stderr.trimEnd().split('\n'), exit.stderr).to.have.length(1);
  expect(exit.stderr).to.match(/^flipper-server: /);
  expect(exit.stderr).to.match(pattern);
  expect(exit.stderr).to.not.match(/\n\s+at /);
}

describe('flipper-server startup', function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'flipper-startup-'));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('--version prints the package version', async function () {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const exit = await runCli(['--version'], dir);
    expect(exit).to.deep.equal({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('a --store value that is not a store is a usage error: one line, exit 2, nothing created', async function () {
    for (const store of ['bogus', 'sqlite:', 'redis://:s3cret@[bad', 'postgres://']) {
      const exit = await runCli(['--store', store, '--port', '0'], dir);
      expectOneLine(exit, 2, /--store/);
      expect(exit.stderr).to.not.include('s3cret');
    }
    expect(existsSync(join(dir, 'data'))).to.equal(false);
  });

  it('a bad value from an environment variable names the variable, not the flag', async function () {
    const exit = await runCli([], dir, { FLIPPER_PORT: 'ninety' });
    expectOneLine(exit, 2, /^flipper-server: FLIPPER_PORT must be an integer/);
    const flag = await runCli(['--port', 'ninety'], dir, { FLIPPER_PORT: '1' });
    expectOneLine(flag, 2, /^flipper-server: --port must be an integer/);
  });

  it('a port in use: one line naming it, exit 1, and no ./data/flags.db created first', async function () {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as { port: number };
      const exit = await runCli(['--port', String(port)], dir);
      expectOneLine(
        exit,
        1,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use \\(EADDRINUSE\\)`),
      );
      expect(existsSync(join(dir, 'data'))).to.equal(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('a data folder that cannot be made: one line naming the absolute path, exit 1', async function () {
    writeFileSync(join(dir, 'data'), 'a file where the folder should be');
    const exit = await runCli(['--port', '0'], dir);
    expectOneLine(exit, 1, /cannot open the store sqlite:\/.*\/data\/flags\.db: .*(ENOTDIR|EEXIST)/);
  });

  it('Redis unreachable at start: one warning, then serving; failed calls are not logged one by one', async function () {
    const port = await closedPort();
    const server = await startServerProcess(['--store', `redis://127.0.0.1:${port}/0`]);
    const store = new ThriftRPCFeatureFlagStore({ port: server.port }, { timeout: 3000 });
    try {
      const listening = logRecords(server).find((r) => r.msg === 'listening')!;
      expect(listening.storeReachable).to.equal(false);
      for (let i = 0; i < 40; i++) await failure(store.get(`flag-${i % 10}`));
      const loud = logRecords(server).filter((r) => (r.level as number) >= 40);
      // The store going unreachable, the server saying so at start, the first failed call.
      expect(loud.length, JSON.stringify(loud.map((r) => r.msg))).to.be.at.most(3);
      expect(loud.map((r) => r.msg)).to.include(
        'the store does not answer at start: serving anyway, and calls fail until it does',
      );
    } finally {
      await store.close();
      expect(await server.stop()).to.equal(0);
    }
  });

  it('PostgreSQL unreachable at start: the same', async function () {
    const port = await closedPort();
    const server = await startServerProcess(['--store', `postgres://postgres@127.0.0.1:${port}/test`]);
    const store = new ThriftRPCFeatureFlagStore({ port: server.port }, { timeout: 5000 });
    try {
      expect(logRecords(server).find((r) => r.msg === 'listening')!.storeReachable).to.equal(false);
      for (let i = 0; i < 20; i++) await failure(store.get(`flag-${i % 10}`));
      const loud = logRecords(server).filter((r) => (r.level as number) >= 40);
      expect(loud.length, JSON.stringify(loud.map((r) => r.msg))).to.be.at.most(3);
    } finally {
      await store.close();
      expect(await server.stop()).to.equal(0);
    }
  });
});
