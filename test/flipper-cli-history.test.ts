import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureFlagClient, ThriftRPCFeatureFlagStore } from '../client';
import { startHistoryServer, type HistoryServer } from './helpers/history-server';
import { runFlipper, runFlipperAtTerminal, type CliRun } from './helpers/flipper-cli-process';
import { startServerProcess } from './helpers/flag-server-process';
import { quietLogger } from './helpers/rpc-served';
import { runShell, shellBlock, shellExpected } from './helpers/readme-security-shell';

/** Every entry is recorded at this time: the table is exact. */
const NOW = Date.UTC(2026, 11, 1, 9, 30);

describe('flipper history and rollback', function () {
  this.timeout(60_000);
  let server: HistoryServer;
  let store: ThriftRPCFeatureFlagStore;
  let client: FeatureFlagClient;
  let dir: string;
  const flipper = (...args: string[]) =>
    runFlipper(['--server', `127.0.0.1:${server.port}`, ...args], { FLIPPER_ACTOR: 'alice' });
  const oneErrorLine = (run: CliRun) => {
    expect(run.stderr.trimEnd().split('\n'), run.stderr).to.have.length(1);
    expect(run.stderr).to.match(/^flipper: /);
  };
  const ok = async (...args: string[]) => {
    const run = await flipper(...args);
    expect(run.code, `${args.join(' ')}: ${run.stderr}`).to.equal(0);
    return run;
  };

  // A server of its own per test: versions are the backend's, shared by every flag, and start at 1.
  beforeEach(async function () {
    server = await startHistoryServer('cli-watch', () => NOW);
    store = new ThriftRPCFeatureFlagStore({ port: server.port });
    client = new FeatureFlagClient(store, { logger: quietLogger });
    dir = mkdtempSync(join(tmpdir(), 'flipper-cli-history-'));
  });

  afterEach(async function () {
    await store.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes carry --actor (else $FLIPPER_ACTOR) and --reason into the flag's history; history prints them newest first", async function () {
    await ok('create', 'h.a', '--client-data', '{"owner": "web"}');
    await ok('enable', 'h.a', '--reason', 'launch, ticket 4521');
    await ok('add-condition', 'h.a', 'plan__in=["pro"]', '--actor', 'bob');
    await ok('set-client-data', 'h.a', '{"owner": "payments"}');
    const run = await ok('history', 'h.a');
    expect(run.stdout).to.equal(
      [
        'VERSION  TIME                  WHO    OPERATION  REASON               CHANGE',
        '4        2026-12-01T09:30:00Z  alice  SetMetaIf  -                    client_data.owner: "web" → "payments"',
        '3        2026-12-01T09:30:00Z  bob    SetMetaIf  -                    condition added: plan in ["pro"]',
        '2        2026-12-01T09:30:00Z  alice  SetIf      launch, ticket 4521  state: off → on',
        '1        2026-12-01T09:30:00Z  alice  Create     -                    created: off, client_data {"owner": "web"}',
        '',
      ].join('\n'),
    );
  });

  it('import and delete carry the context too', async function () {
    const file = join(dir, 'flags.json');
    writeFileSync(
      file,
      '[{"feature_name": "h.imported", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1, "conditions": [], "bucketer": {"type": "NoOpBucketer"}}}]',
    );
    await ok('import', file, '--actor', 'deploy-bot', '--reason', 'sync from git');
    await ok('delete', 'h.imported', '--yes', '--reason', 'cleanup');
    const entries = await client.history('h.imported');
    expect(entries.map((e) => [e.operation, e.actor, e.reason])).to.deep.equal([
      ['Delete', 'alice', 'cleanup'],
      ['SetMetaIf', 'deploy-bot', 'sync from git'],
      ['Create', 'deploy-bot', 'sync from git'],
    ]);
  });

  it('--json: each change with its diff and the flag before and after as stored (ids beyond 2^53 exact)', async function () {
    await ok('create', 'h.json', '--client-data', '{"id": 12345678901234567890}');
    await ok('enable', 'h.json', '--reason', 'check');
    const run = await ok('history', 'h.json', '--json');
    expect(run.stdout).to.include('"client_data": {"id": 12345678901234567890}');
    const entries = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(
      entries.map(({ before, after, peer, ...rest }) => [before === null, typeof after, typeof peer, rest]),
    ).to.deep.equal([
      [
        false,
        'object',
        'string',
        {
          version: 2,
          time: '2026-12-01T09:30:00.000Z',
          operation: 'SetIf',
          external: false,
          actor: 'alice',
          reason: 'check',
          identity: null,
          rollbackTo: null,
          beforeUnknown: false,
          diff: ['state: off → on'],
        },
      ],
      [
        true,
        'object',
        'string',
        {
          version: 1,
          time: '2026-12-01T09:30:00.000Z',
          operation: 'Create',
          external: false,
          actor: 'alice',
          reason: null,
          identity: null,
          rollbackTo: null,
          beforeUnknown: false,
          diff: ['created: off, client_data {"id": 12345678901234567890}'],
        },
      ],
    ]);
  });

  it('--limit and --before page through; a flag never seen is exit 3; a bad number is exit 2', async function () {
    await ok('create', 'h.pages');
    for (let i = 0; i < 4; i++) await ok(i % 2 === 0 ? 'enable' : 'disable', 'h.pages');
    const versions = (run: CliRun) =>
      run.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => Number(line.split(' ')[0]));
    const first = await ok('history', 'h.pages', '--limit', '2');
    expect(versions(first)).to.deep.equal([5, 4]);
    const next = await ok('history', 'h.pages', '--limit', '2', '--before', '4');
    expect(versions(next)).to.deep.equal([3, 2]);
    const last = await ok('history', 'h.pages', '--before', '1');
    expect(last.stdout).to.equal('no recorded changes of h.pages before version 1\n');

    for (const json of [[], ['--json']]) {
      const missing = await flipper('history', 'h.never', ...json);
      expect(missing.code).to.equal(3);
      oneErrorLine(missing);
    }
    for (const args of [
      ['--limit', '0'],
      ['--limit', 'ten'],
      ['--before', '-1'],
    ]) {
      const bad = await flipper('history', 'h.pages', ...args);
      expect(bad.code, args.join(' ')).to.equal(2);
      oneErrorLine(bad);
    }
  });

  it('rollback --yes restores the flag as recorded at a version, as a recorded change with its reason', async function () {
    await ok('create', 'h.back', '--client-data', '{"owner": "web"}');
    await ok('enable', 'h.back');
    await ok('set-client-data', 'h.back', '{"owner": "payments"}');
    await ok('add-condition', 'h.back', 'age__gte=18');
    const run = await ok('rollback', 'h.back', '2', '--yes', '--reason', 'too early');
    expect(run.stdout).to.equal(
      [
        'rollback of h.back to version 2:',
        '  client_data.owner: "payments" → "web"',
        '  condition removed: age >= 18',
        'rolled back h.back to version 2, recorded as version 5',
        '',
      ].join('\n'),
    );
    expect((await client.getMeta('h.back')).toJSON()).to.deep.include({
      client_data: { owner: 'web' },
      conditions: [],
    });
    const [entry] = await client.history('h.back', { limit: 1 });
    expect([entry.operation, entry.rollbackTo, entry.actor, entry.reason]).to.deep.equal([
      'Rollback',
      2,
      'alice',
      'too early',
    ]);
    const again = await ok('rollback', 'h.back', '2', '--yes');
    expect(again.stdout).to.equal('h.back is already as it was at version 2: nothing to do\n');
    // A deleted flag comes back.
    await ok('delete', 'h.back', '--yes');
    await ok('rollback', 'h.back', '2', '--yes');
    expect(await client.isEnabled('h.back')).to.equal(true);
  });

  it('rollback asks: refused without --yes in a script (exit 2), n keeps the flag, y rolls back', async function () {
    await ok('create', 'h.ask');
    await ok('enable', 'h.ask');
    const script = await flipper('rollback', 'h.ask', '1');
    expect(script.code).to.equal(2);
    oneErrorLine(script);
    expect(script.stderr).to.include('--yes');
    expect(await client.isEnabled('h.ask')).to.equal(true);

    const at = ['--server', `127.0.0.1:${server.port}`, 'rollback', 'h.ask', '1'];
    const no = await runFlipperAtTerminal(at, 'n\n');
    expect([no.code, no.stdout]).to.deep.equal([
      0,
      'rollback of h.ask to version 1:\n  state: on → off\nnot rolled back\n',
    ]);
    expect(no.stderr).to.include('Roll back "h.ask" to version 1? [y/N]');
    expect(await client.isEnabled('h.ask')).to.equal(true);
    const yes = await runFlipperAtTerminal(at, 'y\n');
    expect(yes.code, yes.stderr).to.equal(0);
    expect(await client.isEnabled('h.ask')).to.equal(false);
  });

  it('rollback to a version the flag never had is exit 3; a bad version exit 2', async function () {
    await ok('create', 'h.versions');
    const missing = await flipper('rollback', 'h.versions', '999', '--yes');
    expect(missing.code).to.equal(3);
    oneErrorLine(missing);
    expect(missing.stderr).to.include('no recorded change at version 999');
    const bad = await flipper('rollback', 'h.versions', 'latest', '--yes');
    expect(bad.code).to.equal(2);
    oneErrorLine(bad);
  });

  it('the README history block prints what it says', async function () {
    const block = shellBlock('Operating', 'history');
    expect(await runShell(block.code, dir, { FLIPPER_SERVER: `127.0.0.1:${server.port}` })).to.deep.equal(
      shellExpected(block.code),
    );
  });

  it('a server that keeps no history: exit 1, one line', async function () {
    const plain = await startServerProcess(['--store', 'memory', '--history-limit', '0']);
    try {
      for (const args of [
        ['history', 'x'],
        ['rollback', 'x', '3', '--yes'],
      ]) {
        const run = await runFlipper(['--server', `127.0.0.1:${plain.port}`, ...args]);
        expect(run.code, args[0]).to.equal(1);
        oneErrorLine(run);
        expect(run.stderr).to.include('history');
      }
    } finally {
      await plain.stop();
    }
  });
});
