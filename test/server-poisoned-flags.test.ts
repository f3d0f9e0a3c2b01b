import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FeatureFlagClient, SQLiteFeatureFlagStore } from '../client';
import { thriftTypes } from '../shared/thrift/mapping';
import { recordingLogger } from './helpers/broken-store';
import { generatePythonStubs, missingPython, PYTHON, pythonScript } from './helpers/python-stubs';
import { serve, type Served } from './helpers/rpc-served';

const run = promisify(execFile);
const NAMES = ['hasOwnProperty', 'constructor', 'toString', '__proto__'];

/** Flags another program wrote straight into the backend, each of which once broke the server. */
const WRITTEN_DIRECTLY: Record<string, string> = {
  'not-json': '{"feature_name": "not-json", "is_enabled": tr',
  'date-2-63':
    '{"feature_name": "date-2-63", "is_enabled": true, "meta": {"client_data": {}, "created_date": 9223372036854775808, "conditions": [], "bucketer": {"type": "NoOpBucketer"}}}',
  'date-nan':
    '{"feature_name": "date-nan", "is_enabled": true, "meta": {"client_data": {}, "created_date": NaN, "conditions": [], "bucketer": {"type": "NoOpBucketer"}}}',
  'date-huge':
    '{"feature_name": "date-huge", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1e400, "conditions": [], "bucketer": {"type": "NoOpBucketer"}}}',
  'too-large': JSON.stringify({
    feature_name: 'too-large',
    is_enabled: true,
    meta: {
      client_data: { blob: 'x'.repeat(700 * 1024) },
      created_date: 1,
      conditions: [],
      bucketer: { type: 'NoOpBucketer' },
    },
  }),
};

describe('poisoned flags: the server and every client keep working (issue 10)', function () {
  this.timeout(30_000);
  let dir: string;
  let served: Served;
  let sqlite: SQLiteFeatureFlagStore;
  const logger = recordingLogger();

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), 'flipper-poisoned-'));
    sqlite = new SQLiteFeatureFlagStore(join(dir, 'flags.db'));
    served = await serve(sqlite, { server: { logger } });
  });

  afterEach(async function () {
    await served.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('flags written straight into the backend: List skips what it cannot send, Get answers INVALID_ITEM, destroy removes each', async function () {
    await sqlite.create('a', { isEnabled: true });
    const insert = sqlite.db.prepare('INSERT INTO feature_flags (name, item) VALUES (?, ?)');
    for (const [name, text] of Object.entries(WRITTEN_DIRECTLY)) insert.run(name, text);
    await sqlite.create('z', { isEnabled: true });
    const client = new FeatureFlagClient(served.rpc, { logger: recordingLogger() });

    // Read but never sent whole: too large to write, not too large to read (another program wrote it).
    const listed = (await served.rpc.list()).map((item) => item.featureName);
    expect(listed).to.deep.equal(['a', 'too-large', 'z']);
    const codes = thriftTypes().ErrorCode;
    for (const name of ['not-json', 'date-2-63', 'date-nan', 'date-huge']) {
      const error = await served.rpc.get(name).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, name).to.have.property('code', 'INVALID_ITEM');
      expect(await client.isEnabled(name, {}, { default: true }), name).to.equal(true);
    }
    expect(codes.INVALID_ITEM).to.equal(5);
    expect(await client.isEnabled('a')).to.equal(true);
    // The unsendable ones are logged by the server once, however often they are listed.
    await served.rpc.list();
    const skipped = logger.at('warn').map((line) => (line.obj as { flag?: string }).flag);
    expect(skipped.filter((flag) => flag === 'date-nan')).to.have.length(1);

    for (const name of Object.keys(WRITTEN_DIRECTLY)) await client.destroy(name);
    expect((await served.rpc.list()).map((item) => item.featureName)).to.deep.equal(['a', 'z']);
    expect(sqlite.db.prepare('SELECT count(*) AS n FROM feature_flags').get()).to.deep.equal({ n: 2 });
  });

  it(`from Python: conditions on ${NAMES.join(', ')} come back intact; a created_date the server cannot hold is INVALID_ARGUMENT`, async function () {
    const missing = missingPython();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    const gen = generatePythonStubs();
    try {
      const { stdout } = await run(PYTHON, [pythonScript('poisoned.py'), gen, String(served.port)]);
      const out = JSON.parse(stdout) as Record<string, { code?: number; message?: string } | string | object>;
      const invalid = thriftTypes().ErrorCode.INVALID_ARGUMENT;
      for (const key of ['date_max', 'date_min', 'date_2_53']) {
        expect(out[key], key).to.have.property('code', invalid);
        expect((out[key] as { message: string }).message, key).to.include('created_date must be an integer');
      }
      expect(out.set_meta).to.equal('ok');
      const got = out.get as { client_data: object; conditions: Array<Record<string, unknown>> };
      expect(Object.keys(got.client_data).sort()).to.deep.equal([...NAMES].sort());
      expect(got.conditions.flatMap((c) => Object.keys(c)).sort()).to.deep.equal([...NAMES].sort());
      expect(got.conditions).to.deep.include({ hasOwnProperty: [['hasOwnProperty', 0]] });
      expect(out.list).to.deep.equal(['poisoned']);
      // Node evaluates what Python stored, every name an ordinary variable.
      const client = new FeatureFlagClient(served.rpc);
      const checks = Object.fromEntries(NAMES.map((n, i) => [n, i])) as Record<string, never>;
      expect(await client.isEnabled('poisoned', checks)).to.equal(true);
      expect(await client.isEnabled('poisoned', Object.fromEntries([['toString', 7]]) as never)).to.equal(false);
    } finally {
      rmSync(gen, { recursive: true, force: true });
    }
  });
});
