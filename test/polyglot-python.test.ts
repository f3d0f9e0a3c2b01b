import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  Condition,
  ConsistentHashPercentageBucketer,
  FeatureFlagClient,
  Percentage,
  ThriftRPCFeatureFlagStore,
} from '../client';
import { startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { generatePythonStubs, missingPython, PYTHON } from './helpers/python-stubs';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

describe('polyglot: Python stubs generated from our IDL drive the server; Node evaluates what Python wrote', function () {
  this.timeout(60_000);
  let gen: string;

  before(function () {
    const reason = missingPython();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    gen = generatePythonStubs();
  });

  after(function () {
    if (gen) rmSync(gen, { recursive: true, force: true });
  });

  for (const wire of ['buffered-binary', 'framed-compact'] as const) {
    describe(wire, function () {
      let server: ServerProcess;
      let dir: string;
      let store: ThriftRPCFeatureFlagStore;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      let out: any;

      before(async function () {
        dir = mkdtempSync(join(tmpdir(), 'flipper-polyglot-'));
        const [transport, protocol] = wire.split('-') as ['buffered' | 'framed', 'binary' | 'compact'];
        server = await startServerProcess([
          '--store',
          `sqlite:${join(dir, 'flags.db')}`,
          '--transport',
          transport,
          '--protocol',
          protocol,
        ]);
        store = new ThriftRPCFeatureFlagStore({ port: server.port, transport, protocol });
        const client = new FeatureFlagClient(store);
        await client.create('node-flag', { isEnabled: true, clientData: { from: 'node' } });
        await client.addCondition('node-flag', new Condition({ is_admin: true, age__gte: 21 }));
        const script = join(ROOT, 'test', 'python', 'polyglot.py');
        const { stdout } = await run(PYTHON, [script, gen, String(server.port), wire]);
        out = JSON.parse(stdout);
      });

      after(async function () {
        await store?.close();
        if (server) expect(await server.stop()).to.equal(0);
        rmSync(dir, { recursive: true, force: true });
      });

      it('Python reads a flag Node wrote with every field set, equality as an operator struct with no symbol', function () {
        expect(out.node_flag).to.deep.include({
          feature_name: 'node-flag',
          is_enabled: true,
          client_data: { from: 'node' },
        });
        expect(out.node_flag.created_date).to.be.a('number').above(1.6e9);
        expect(out.node_flag.bucketer).to.deep.equal({ type: 'NoOpBucketer' });
        expect(out.node_flag.conditions).to.deep.equal([
          {
            is_admin: [{ variable: 'is_admin', value: true, symbol: null }],
            age: [{ variable: 'age', value: 21, symbol: 'gte' }],
          },
        ]);
      });

      it('Create, Set and Get answer Python as its library expects', function () {
        expect(out.create).to.deep.include({
          feature_name: 'py-flag',
          is_enabled: true,
          client_data: { owner: 'python' },
        });
        expect(out.create.conditions).to.deep.equal([]);
        expect(out.after_set_false).to.equal(false);
      });

      it('SetMeta keeps the condition and bucketer Python sent (one condition map per check)', function () {
        expect(out.after_set_meta.client_data).to.deep.equal({ owner: 'python', ticket: 42 });
        expect(out.after_set_meta.bucketer).to.deep.equal({
          type: 'ConsistentHashPercentageBucketer',
          key_whitelist: ['user_id'],
          percentage: { type: 'Percentage', value: 0.5 },
        });
        expect(out.after_set_meta.conditions).to.deep.equal([
          { age: [{ variable: 'age', value: 18, symbol: 'gte' }] },
          { plan: [{ variable: 'plan', value: ['pro', 'team'], symbol: 'in' }] },
          { is_admin: [{ variable: 'is_admin', value: true, symbol: null }] },
        ]);
      });

      it('List with no limit lists everything; with limit and offset, a page; Delete removes', function () {
        expect(out.list_all).to.deep.equal(['node-flag', 'py-flag', 'py-other']);
        expect(out.list_page).to.deep.equal(['py-flag']);
        expect(out.after_delete).to.deep.equal(['node-flag', 'py-flag']);
      });

      it('Get and SetMeta of a missing flag raise FlipperException NOT_FOUND; a bad name INVALID_ARGUMENT', function () {
        expect(out.Get_missing).to.deep.equal({ code: 0, not_found: true });
        expect(out.SetMeta_missing).to.deep.equal({ code: 0, not_found: true });
        expect(out.empty_name.code).to.equal(1);
        expect(out.empty_name.message).to.match(/must not be empty/);
      });

      it('Node evaluates the condition and bucketer Python wrote, as the Python library would', async function () {
        const client = new FeatureFlagClient(store);
        expect(await client.isEnabled('py-flag', { age: 30, plan: 'pro', is_admin: true })).to.equal(true);
        expect(await client.isEnabled('py-flag', { age: 17, plan: 'pro', is_admin: true })).to.equal(false);
        expect(await client.isEnabled('py-flag', { age: 30, plan: 'free' })).to.equal(false);
        expect(await client.isEnabled('py-flag', { is_admin: false })).to.equal(false);
        // No key a condition checks: the 50% consistent-hash bucketer decides, per user.
        const bucketer = new ConsistentHashPercentageBucketer({
          keyWhitelist: ['user_id'],
          percentage: new Percentage(0.5),
        });
        const seen = new Set<boolean>();
        for (let user = 1; user <= 40; user++) {
          const expected = bucketer.check({ user_id: user });
          seen.add(expected);
          expect(await client.isEnabled('py-flag', { user_id: user }), `user ${user}`).to.equal(expected);
        }
        expect([...seen].sort()).to.deep.equal([false, true]);
      });
    });
  }

  it("the README's Python example creates, enables and checks a flag", async function () {
    const dir = mkdtempSync(join(tmpdir(), 'flipper-py-quickstart-'));
    const server = await startServerProcess(['--store', `sqlite:${join(dir, 'flags.db')}`]);
    try {
      const { stdout } = await run(PYTHON, [join(ROOT, 'test', 'python', 'quickstart.py')], {
        env: { ...process.env, PYTHONPATH: gen, FLIPPER_PORT: String(server.port) },
      });
      expect(stdout.trim()).to.equal('True');
    } finally {
      expect(await server.stop()).to.equal(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the README's Node example over RPC", function () {
  this.timeout(30_000);

  it('creates, enables and checks a flag on a flipper-server in another process', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'flipper-node-quickstart-'));
    const server = await startServerProcess(['--store', `sqlite:${join(dir, 'flags.db')}`]);
    try {
      const { stdout } = await run(process.execPath, [join(__dirname, 'examples', 'rpc-quickstart.js')], {
        env: { ...process.env, FLIPPER_PORT: String(server.port) },
      });
      expect(stdout.trim()).to.equal('true');
    } finally {
      expect(await server.stop()).to.equal(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
