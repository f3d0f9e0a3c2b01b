import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureFlagClient, ThriftRPCFeatureFlagStore } from '../client';
import { quietLogger } from './helpers/rpc-served';
import { startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { runFlipper, runFlipperAtTerminal, type CliRun } from './helpers/flipper-cli-process';
import { buildProgram } from '../server/flipper-cli/program';
import { PassThrough } from 'node:stream';

describe('the flipper command against a flag server process', function () {
  this.timeout(60_000);
  let server: ServerProcess;
  let store: ThriftRPCFeatureFlagStore;
  let client: FeatureFlagClient;
  let dir: string;
  let at: string;
  const flipper = (...args: string[]) => runFlipper(['--server', at, ...args]);
  const oneErrorLine = (run: CliRun) => {
    expect(run.stderr.trimEnd().split('\n'), run.stderr).to.have.length(1);
    expect(run.stderr).to.match(/^flipper: /);
  };

  before(async function () {
    server = await startServerProcess(['--store', 'memory']);
    at = `127.0.0.1:${server.port}`;
    store = new ThriftRPCFeatureFlagStore({ port: server.port });
    client = new FeatureFlagClient(store, { logger: quietLogger });
    dir = mkdtempSync(join(tmpdir(), 'flipper-cli-'));
  });

  after(async function () {
    await store.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('list', function () {
    before(async function () {
      await client.create('list.a', { isEnabled: true });
      await client.create('list.bb');
      await client.create('other');
    });

    it('prints an aligned table, without colour when stdout is not a terminal', async function () {
      const run = await flipper('list', '--prefix', 'list.');
      expect(run.code).to.equal(0);
      expect(run.stdout).to.equal(
        [
          'NAME     STATE  CONDITIONS  BUCKETER',
          'list.a   on     0           none',
          'list.bb  off    0           none',
          '',
        ].join('\n'),
      );
      expect(run.stderr).to.equal('');
    });

    it('--json prints the flags as stored', async function () {
      const run = await flipper('list', '--prefix', 'list.', '--json');
      expect(run.code).to.equal(0);
      const flags = JSON.parse(run.stdout) as Array<{ feature_name: string; is_enabled: boolean }>;
      expect(flags.map((f) => [f.feature_name, f.is_enabled])).to.deep.equal([
        ['list.a', true],
        ['list.bb', false],
      ]);
    });

    it('colours on and off at a terminal', async function () {
      const run = await runFlipperAtTerminal(['--server', at, 'list', '--prefix', 'list.']);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.include('\x1b[32mon\x1b[0m').and.include('\x1b[31moff\x1b[0m');
      // Columns stay aligned: escape codes take no width.
      // eslint-disable-next-line no-control-regex -- the colour codes are what is tested
      expect(run.stdout.split('\n')[1]).to.match(/^list\.a {3}\x1b\[32mon\x1b\[0m {5}0 {11}none$/);
    });

    it('says so when nothing matches', async function () {
      const run = await flipper('list', '--prefix', 'nothing-here.');
      expect([run.code, run.stdout]).to.deep.equal([0, 'no flags start with "nothing-here."\n']);
    });
  });

  describe('create and show', function () {
    it('creates a flag with client data, kept exactly (1.0, an id beyond 2^53)', async function () {
      const run = await flipper(
        'create',
        'show.a',
        '--enabled',
        '--client-data',
        '{"ratio": 1.0, "id": 12345678901234567890}',
      );
      expect([run.code, run.stdout]).to.deep.equal([0, 'created show.a (on)\n']);
      expect(await client.getClientData('show.a')).to.deep.equal({ ratio: 1, id: 12345678901234567890n });
      const json = await flipper('show', 'show.a', '--json');
      expect(json.code).to.equal(0);
      expect(json.stdout).to.include('"client_data": {"ratio": 1.0, "id": 12345678901234567890}');
      expect(json.stdout).to.match(/^\{"feature_name": "show.a", "is_enabled": true, "meta": /);
    });

    it('shows a flag for people', async function () {
      await client.create('show.b', { clientData: { owner: 'payments' } });
      await client.addCondition('show.b', new (await import('../client')).Condition({ age__gte: 18 }));
      const run = await flipper('show', 'show.b');
      expect(run.code).to.equal(0);
      expect(run.stdout).to.match(/^name {9}show\.b\nstate {8}off\ncreated {6}\d{4}-\d\d-\d\dT/);
      expect(run.stdout).to.include(
        'bucketer     none\nconditions\n  0: age__gte=18\nclient data  {"owner": "payments"}\n',
      );
    });

    it('a missing flag: exit 3, one line on stderr', async function () {
      const run = await flipper('show', 'show.missing');
      expect(run.code).to.equal(3);
      expect(run.stdout).to.equal('');
      oneErrorLine(run);
      expect(run.stderr).to.include('"show.missing" does not exist');
    });

    it('bad client data: exit 2, nothing created', async function () {
      for (const bad of ['{"a": ', '[1, 2]']) {
        const run = await flipper('create', 'show.bad', '--client-data', bad);
        expect(run.code, bad).to.equal(2);
        oneErrorLine(run);
      }
      expect(await client.exists('show.bad')).to.equal(false);
    });
  });

  describe('enable, disable, delete', function () {
    it('enable and disable change the flag on the server', async function () {
      await client.create('state.a');
      const on = await flipper('enable', 'state.a', '--actor', 'ops-bot', '--reason', 'incident 4521');
      expect([on.code, on.stdout]).to.deep.equal([0, 'state.a is on\n']);
      expect(await client.isEnabled('state.a')).to.equal(true);
      const off = await flipper('disable', 'state.a');
      expect([off.code, off.stdout]).to.deep.equal([0, 'state.a is off\n']);
      expect(await client.isEnabled('state.a')).to.equal(false);
    });

    it('changing a missing flag exits 3', async function () {
      for (const command of ['enable', 'disable', 'delete']) {
        const run = await flipper(command, 'state.missing', ...(command === 'delete' ? ['--yes'] : []));
        expect(run.code, command).to.equal(3);
        oneErrorLine(run);
      }
    });

    it('a reason of more than one line is refused (exit 2), nothing changed', async function () {
      await client.create('state.reason');
      const run = await flipper('enable', 'state.reason', '--reason', 'two\nlines');
      expect(run.code).to.equal(2);
      expect(await client.isEnabled('state.reason')).to.equal(false);
    });

    it('delete refuses without --yes when not at a terminal (exit 2) and keeps the flag', async function () {
      await client.create('state.keep');
      const run = await flipper('delete', 'state.keep');
      expect(run.code).to.equal(2);
      oneErrorLine(run);
      expect(run.stderr).to.include('--yes');
      expect(await client.exists('state.keep')).to.equal(true);
      const yes = await flipper('delete', 'state.keep', '--yes');
      expect([yes.code, yes.stdout]).to.deep.equal([0, 'deleted state.keep\n']);
      expect(await client.exists('state.keep')).to.equal(false);
    });

    it('delete asks at a terminal: n keeps the flag, y deletes it', async function () {
      await client.create('state.ask');
      const no = await runFlipperAtTerminal(['--server', at, 'delete', 'state.ask'], 'n\n');
      expect([no.code, no.stdout]).to.deep.equal([0, 'not deleted\n']);
      expect(no.stderr).to.include('Delete flag "state.ask"? [y/N]');
      expect(await client.exists('state.ask')).to.equal(true);
      const yes = await runFlipperAtTerminal(['--server', at, 'delete', 'state.ask'], 'y\n');
      expect([yes.code, yes.stdout]).to.deep.equal([0, 'deleted state.ask\n']);
      expect(await client.exists('state.ask')).to.equal(false);
    });
  });

  describe('explain', function () {
    before(async function () {
      await client.create('explain.a', { isEnabled: true });
      const { Condition } = await import('../client');
      await client.addCondition('explain.a', new Condition({ age__gte: 18, plan__in: ['pro'] }));
    });

    it('typed key=value checks: numbers, booleans, quoted strings', async function () {
      const failed = await flipper('explain', 'explain.a', 'age=12');
      expect([failed.code, failed.stdout]).to.deep.equal([
        0,
        'explain.a: off (CONDITION_FAILED)\n  condition #0 age__gte=18 failed for age=12\n',
      ]);
      const held = await flipper('explain', 'explain.a', 'age=30', `plan="pro"`, 'is_admin=true');
      expect(held.stdout).to.match(/^explain\.a: on \(CONDITIONS_HELD\)\n/);
      const bucketer = await flipper('explain', 'explain.a', 'user_id=42');
      expect(bucketer.stdout).to.equal('explain.a: on (BUCKETER)\n  bucketer NoOpBucketer\n');
    });

    it('--checks JSON and --json output, ids beyond 2^53 exact', async function () {
      const run = await flipper('explain', 'explain.a', '--checks', '{"age": 12345678901234567890}', '--json');
      expect(run.code).to.equal(0);
      expect(run.stdout).to.include('"actual": 12345678901234567890');
      const parsed = JSON.parse(run.stdout) as { value: boolean; reason: string; condition: { variable: string } };
      expect([parsed.value, parsed.reason, parsed.condition.variable]).to.deep.equal([true, 'CONDITIONS_HELD', 'age']);
    });

    it('a bare word is refused with the quoting to use (exit 2)', async function () {
      const run = await flipper('explain', 'explain.a', 'plan=pro');
      expect(run.code).to.equal(2);
      oneErrorLine(run);
      expect(run.stderr).to.include(`plan='"pro"'`);
    });

    it('both key=value and --checks is a usage error; a missing flag exits 3', async function () {
      expect((await flipper('explain', 'explain.a', 'age=1', '--checks', '{}')).code).to.equal(2);
      expect((await flipper('explain', 'explain.missing', 'age=1')).code).to.equal(3);
    });
  });

  describe('conditions, bucketer, client data', function () {
    it('add-condition takes key__op=value keywords', async function () {
      await client.create('cond.a', { isEnabled: true });
      const run = await flipper('add-condition', 'cond.a', 'age__gte=18', `plan__in=["pro", "team"]`);
      expect(run.stderr).to.equal('');
      expect([run.code, run.stdout]).to.deep.equal([0, 'cond.a: added condition #0\n']);
      expect((await client.getMeta('cond.a')).toJSON().conditions).to.deep.equal([
        {
          age: [{ variable: 'age', value: 18, operator: 'gte' }],
          plan: [{ variable: 'plan', value: ['pro', 'team'], operator: 'in' }],
        },
      ]);
    });

    it('an unknown operator is refused (exit 2), nothing stored', async function () {
      await client.create('cond.b');
      const run = await flipper('add-condition', 'cond.b', 'age__about=18');
      expect(run.code).to.equal(2);
      oneErrorLine(run);
      expect((await client.getMeta('cond.b')).conditions).to.have.length(0);
    });

    it('set-conditions replaces the list from JSON in stored form; [] clears it', async function () {
      await client.create('cond.c');
      const json =
        '[{"age": [{"variable": "age", "value": 18.0, "operator": "gt"}]}, {"beta": [{"variable": "beta", "value": true, "operator": null}]}]';
      const run = await flipper('set-conditions', 'cond.c', '--json', json);
      expect([run.code, run.stdout]).to.deep.equal([0, 'cond.c: 2 conditions\n']);
      const shown = await flipper('show', 'cond.c', '--json');
      expect(shown.stdout).to.include('"value": 18.0, "operator": "gt"');
      expect((await flipper('set-conditions', 'cond.c', '--json', '{"not": "a list"}')).code).to.equal(2);
      expect((await client.getMeta('cond.c')).conditions).to.have.length(2);
      expect((await flipper('set-conditions', 'cond.c', '--json', '[]')).code).to.equal(0);
      expect((await client.getMeta('cond.c')).conditions).to.have.length(0);
    });

    it('set-bucketer: percentage, consistent with keys, ramp, none', async function () {
      await client.create('bucket.a');
      const pct = await flipper('set-bucketer', 'bucket.a', 'percentage', '0.25');
      expect([pct.code, pct.stdout]).to.deep.equal([0, 'bucket.a: bucketer percentage 25%\n']);
      expect((await client.getMeta('bucket.a')).bucketer.toJSON()).to.deep.equal({
        type: 'PercentageBucketer',
        percentage: { type: 'Percentage', value: 0.25 },
      });
      const consistent = await flipper('set-bucketer', 'bucket.a', 'consistent', '10%', '--keys', 'user_id,org');
      expect(consistent.stdout).to.equal('bucket.a: bucketer consistent 10% keys user_id,org\n');
      expect((await client.getMeta('bucket.a')).bucketer.toJSON()).to.deep.equal({
        type: 'ConsistentHashPercentageBucketer',
        percentage: { type: 'Percentage', value: 0.1 },
        key_whitelist: ['user_id', 'org'],
      });
      const none = await flipper('set-bucketer', 'bucket.a', 'none');
      expect(none.stdout).to.equal('bucket.a: bucketer none\n');
      expect((await client.getMeta('bucket.a')).bucketer.toJSON()).to.deep.equal({ type: 'NoOpBucketer' });
    });

    it('set-bucketer ramp starts now (a clock the test sets)', async function () {
      await client.create('bucket.ramp');
      const run = await runFlipperAtTerminal(
        [
          '--server',
          at,
          'set-bucketer',
          'bucket.ramp',
          'ramp',
          '--from',
          '0.1',
          '--to',
          '0.9',
          '--over',
          '1h30m',
          '--keys',
          'user_id',
        ],
        '',
        () => 1_700_000_000.7,
      );
      expect(run.code, run.stderr).to.equal(0);
      expect((await client.getMeta('bucket.ramp')).bucketer.toJSON()).to.deep.equal({
        type: 'ConsistentHashPercentageBucketer',
        percentage: {
          type: 'LinearRampPercentage',
          initial_value: 0.1,
          final_value: 0.9,
          ramp_duration: 5400,
          initial_time: 1_700_000_000,
        },
        key_whitelist: ['user_id'],
      });
    });

    it('set-bucketer refuses bad input (exit 2) and keeps the bucketer', async function () {
      await client.create('bucket.bad');
      for (const args of [
        ['percentage', '1.5'],
        ['percentage'],
        ['ramp', '--over', 'soon'],
        ['ramp'],
        ['sometimes', '0.5'],
        ['none', '0.5'],
      ]) {
        const run = await flipper('set-bucketer', 'bucket.bad', ...args);
        expect(run.code, args.join(' ')).to.equal(2);
        oneErrorLine(run);
      }
      expect((await client.getMeta('bucket.bad')).bucketer.toJSON()).to.deep.equal({ type: 'NoOpBucketer' });
    });

    it('set-client-data merges top-level keys', async function () {
      await client.create('data.a', { clientData: { owner: 'web', keep: 1 } });
      const run = await flipper('set-client-data', 'data.a', '{"owner": "payments", "ticket": 4521}');
      expect([run.code, run.stdout]).to.deep.equal([0, 'data.a: client data updated\n']);
      expect(await client.getClientData('data.a')).to.deep.equal({ owner: 'payments', keep: 1, ticket: 4521 });
      expect((await flipper('set-client-data', 'data.a', 'owner=x')).code).to.equal(2);
    });
  });

  describe('export and import', function () {
    it('export, change, import --dry-run (writes nothing), import: the flags are back byte for byte', async function () {
      const names = Array.from({ length: 25 }, (_, i) => `io.${String(i).padStart(2, '0')}`);
      for (const name of names) await client.create(name, { clientData: { n: 1.5, big: 2n ** 70n } });
      await client.enable('io.03');
      const file = join(dir, 'flags.json');
      const exported = await flipper('export', '--out', file);
      expect(exported.code).to.equal(0);
      const before = readFileSync(file, 'utf8');
      expect(before).to.include('"big": 1180591620717411303424');
      expect(before.split('\n')[0]).to.equal('[');

      await client.disable('io.03');
      await client.setClientData('io.04', { n: 2 });
      for (const name of names.slice(10)) await client.destroy(name);

      const dry = await flipper('import', file, '--dry-run');
      expect(dry.code).to.equal(0);
      expect(dry.stdout).to.include('would update io.03: state: off → on\n');
      expect(dry.stdout).to.include('would update io.04: client_data.n: 2 → 1.5\n');
      expect(dry.stdout).to.include('would create io.24\n');
      expect(dry.stdout).to.match(/dry run: would create 15, update 2, \d+ unchanged\n$/);
      expect(await client.exists('io.24')).to.equal(false);
      expect(await client.isEnabled('io.03')).to.equal(false);

      const done = await runFlipperAtTerminal(['--server', at, 'import', file]);
      expect(done.code, done.stderr).to.equal(0);
      expect(done.stdout).to.match(/created 15, updated 2, \d+ unchanged\n$/);
      // A progress bar on the terminal for 17 writes? No: it starts at 20.
      expect(done.stderr).to.equal('');
      const after = await flipper('export');
      expect(after.stdout).to.equal(before);
    });

    it('draws a progress bar at a terminal when writing many', async function () {
      const file = join(dir, 'many.json');
      const lines = Array.from(
        { length: 30 },
        (_, i) =>
          `{"feature_name": "bar.${i}", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1, "conditions": [], "bucketer": {"type": "NoOpBucketer"}}}`,
      );
      writeFileSync(file, `[\n${lines.join(',\n')}\n]\n`);
      const run = await runFlipperAtTerminal(['--server', at, 'import', file]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr)
        .to.include('] 1/30')
        .and.include(`[${'#'.repeat(30)}] 30/30\n`);
      const json = await flipper('import', file, '--json');
      expect(JSON.parse(json.stdout)).to.deep.equal({ dryRun: false, created: [], updated: [], unchanged: 30 });
    });

    it('a malformed file is refused before anything is written (exit 2)', async function () {
      const file = join(dir, 'bad.json');
      writeFileSync(file, '[{"feature_name": "bad.1", "is_enabled": true}, {"is_enabled": true}]');
      const run = await flipper('import', file);
      expect(run.code).to.equal(2);
      oneErrorLine(run);
      expect(run.stderr).to.include('flag #2');
      expect(await client.exists('bad.1')).to.equal(false);
      expect((await flipper('import', join(dir, 'absent.json'))).code).to.equal(2);
    });
  });

  describe('history and rollback (the server process records history: its --store memory default)', function () {
    it('history lists what changed, who and why; rollback restores a version and is itself recorded', async function () {
      expect((await flipper('create', 'hist.p', '--actor', 'alice', '--reason', 'new page')).code).to.equal(0);
      expect((await flipper('enable', 'hist.p', '--actor', 'bob')).code).to.equal(0);
      const table = await flipper('history', 'hist.p');
      expect(table.code, table.stderr).to.equal(0);
      const rows = table.stdout.trimEnd().split('\n');
      expect(rows[0]).to.match(/^VERSION\s+TIME\s+WHO\s+OPERATION\s+REASON\s+CHANGE$/);
      expect(rows[1]).to.match(/\bbob\b.*\bSetIf\b.*state: off → on$/);
      expect(rows[2]).to.match(/\balice\b.*\bCreate\b.*new page.*created: off$/);
      const json = await flipper('history', 'hist.p', '--json');
      const entries = JSON.parse(json.stdout) as Array<{ version: number; actor?: string; peer?: string }>;
      expect(entries.map((e) => e.actor)).to.deep.equal(['bob', 'alice']);
      expect(entries[0].peer).to.match(/127\.0\.0\.1:\d+$/);
      const rolled = await flipper('rollback', 'hist.p', String(entries[1].version), '--yes', '--actor', 'carol');
      expect(rolled.code, rolled.stderr).to.equal(0);
      expect(await client.isEnabled('hist.p')).to.equal(false);
      const after = JSON.parse((await flipper('history', 'hist.p', '--limit', '1', '--json')).stdout) as Array<{
        operation: string;
        actor: string;
      }>;
      expect(after[0]).to.include({ operation: 'Rollback', actor: 'carol' });
      const missing = await flipper('rollback', 'hist.p', '999999', '--yes');
      expect(missing.code).to.equal(3);
      oneErrorLine(missing);
    });
  });

  describe('the command line itself', function () {
    it('every command has --help with an example (exit 0)', async function () {
      const names = buildProgram({
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        stdin: new PassThrough(),
        colour: false,
        interactive: false,
        env: {},
        now: () => 0,
        onStop: () => () => undefined,
      }).commands.map((c) => c.name());
      expect(names).to.include.members([
        'list',
        'show',
        'create',
        'import',
        'export',
        'set-bucketer',
        'history',
        'watch',
      ]);
      for (const name of names) {
        const run = await runFlipper([name, '--help']);
        expect(run.code, name).to.equal(0);
        expect(run.stdout, name).to.include(`Usage: flipper ${name}`).and.include('Example:\n  $ flipper');
      }
    });

    it('unknown commands and options, or no command, exit 2', async function () {
      expect((await runFlipper(['frobnicate'])).code).to.equal(2);
      expect((await runFlipper(['list', '--frobnicate'])).code).to.equal(2);
      expect((await runFlipper([])).code).to.equal(2);
      expect((await runFlipper(['--server', 'no:port:here', 'list'])).code).to.equal(2);
    });

    it('finds the server through FLIPPER_SERVER; an unreachable one is one line and exit 1', async function () {
      await client.create('env.a');
      const run = await runFlipper(['show', 'env.a'], { FLIPPER_SERVER: at });
      expect(run.code).to.equal(0);
      const closed = await startServerProcess(['--store', 'memory']);
      const port = closed.port;
      await closed.stop();
      const down = await runFlipper(['list'], { FLIPPER_SERVER: `127.0.0.1:${port}` });
      expect(down.code).to.equal(1);
      oneErrorLine(down);
      expect(down.stderr).to.include(`127.0.0.1:${port}`);
    });

    it('--transport and --protocol reach a framed compact server', async function () {
      const framed = await startServerProcess(['--store', 'memory', '--transport', 'framed', '--protocol', 'compact']);
      try {
        const args = ['--server', `127.0.0.1:${framed.port}`, '--transport', 'framed', '--protocol', 'compact'];
        expect((await runFlipper([...args, 'create', 'wire.a', '--enabled'])).code).to.equal(0);
        expect((await runFlipper([...args, 'list'])).stdout).to.include('wire.a  on');
        expect((await runFlipper([...args, '--protocol', 'json', 'list'])).code).to.equal(2);
      } finally {
        await framed.stop();
      }
    });
  });
});
