import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ThriftReplicaFeatureFlagStore } from '../client';
import { startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { until } from './helpers/replica-waits';
import { quietLogger } from './helpers/rpc-served';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const PYTHON = '/usr/bin/python3';

/** Our IDL without the change feed's structs and methods: what Python stubs made before it look like. */
function idlWithoutFeed(): string {
  const idl = readFileSync(join(ROOT, 'thrift', 'feature_flag_store.thrift'), 'utf8');
  const structs = idl.indexOf('// Added by this project (the change feed)');
  const service = idl.indexOf('service FeatureFlagStore {');
  const methods = idl.indexOf('  // Added by this project: the change feed');
  expect(structs).to.be.greaterThan(0);
  expect(methods).to.be.greaterThan(service);
  return idl.slice(0, structs) + idl.slice(service, methods) + '}\n';
}

// Python stubs generated from the IDL as it was before the change feed keep driving the server
// (the six methods of the Python library), while a Node replica follows the changes they make.
describe('polyglot: stubs without the change feed still work, and their writes reach a replica', function () {
  this.timeout(60_000);
  let folder: string;
  let server: ServerProcess | undefined;
  let replica: ThriftReplicaFeatureFlagStore | undefined;

  before(function () {
    try {
      execFileSync(PYTHON, ['-c', 'import thrift'], { stdio: 'ignore' });
      execFileSync('thrift', ['--version'], { stdio: 'ignore' });
    } catch {
      this.skip();
    }
    folder = mkdtempSync(join(tmpdir(), 'flipper-old-idl-'));
  });
  after(async () => {
    await replica?.close();
    await server?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('the Python polyglot script passes with them; the replica sees its flags come and go', async () => {
    const idl = join(folder, 'feature_flag_store.thrift');
    writeFileSync(idl, idlWithoutFeed());
    const gen = join(folder, 'gen-py');
    execFileSync('mkdir', ['-p', gen]);
    execFileSync('thrift', ['--gen', 'py', '-out', gen, idl]);
    expect(
      readFileSync(join(gen, 'flipper_thrift', 'python', 'feature_flag_store', 'FeatureFlagStore.py'), 'utf8'),
    ).not.to.include('WaitForChanges');
    server = await startServerProcess(['--store', `sqlite:${join(folder, 'flags.db')}`]);
    replica = new ThriftReplicaFeatureFlagStore({ port: server.port }, { logger: quietLogger });
    expect(await replica.ready()).to.equal('fresh');
    // The script reads a flag Node wrote first: written through the replica.
    await replica.create('node-flag', { isEnabled: true, clientData: { from: 'node' } });
    const seen = new Set<string>();
    replica.events.on('changed', (names) => names.forEach((n) => seen.add(n)));
    const { stdout } = await run(PYTHON, [
      join(ROOT, 'test', 'python', 'polyglot.py'),
      gen,
      String(server.port),
      'buffered-binary',
    ]);
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out.list_all).to.deep.equal(['node-flag', 'py-flag', 'py-other']);
    expect(out.after_delete).to.deep.equal(['node-flag', 'py-flag']);
    await until(() => seen.has('py-flag') && seen.has('py-other') && replica!.peek('py-other') === null, 'the changes');
    expect(replica.peek('py-flag')?.meta.clientData).to.deep.equal({ owner: 'python', ticket: 42 });
  });
});
