import { expect } from 'chai';
import { Condition, FeatureFlagClient, ThriftRPCFeatureFlagStore } from '../client';
import { startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { FLIPPER, runFlipper, startFlipper, startShell, type RunningCommand } from './helpers/flipper-cli-process';
import { quietLogger } from './helpers/rpc-served';

const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;

/** `flipper watch` against a flag server process: what it prints, how it stops, restarts. */
describe('flipper watch', function () {
  this.timeout(60_000);
  let server: ServerProcess;
  let store: ThriftRPCFeatureFlagStore;
  let client: FeatureFlagClient;
  let at: string;
  const running: RunningCommand[] = [];
  const watch = async (...args: string[]) => {
    const watcher = startFlipper(['--server', at, 'watch', ...args]);
    running.push(watcher);
    await watcher.waitFor('stderr', 'Ctrl-C stops');
    return watcher;
  };

  beforeEach(async function () {
    server = await startServerProcess(['--store', 'memory']);
    at = `127.0.0.1:${server.port}`;
    store = new ThriftRPCFeatureFlagStore({ port: server.port }, { reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
    client = new FeatureFlagClient(store, { logger: quietLogger });
  });

  afterEach(async function () {
    for (const watcher of running.splice(0)) watcher.child.kill('SIGKILL');
    await store.close();
    await server.stop();
  });

  it('prints one line per change under --prefix, as it happens; SIGINT ends it with exit 0', async function () {
    await client.create('w.kept', { isEnabled: true });
    await client.create('other.kept');
    const started = Date.now();
    const watcher = await watch('--prefix', 'w.');
    expect(watcher.stderr()).to.equal(`watching ${at}: 1 flag starting with "w."; Ctrl-C stops\n`);

    await client.create('w.new');
    await client.enable('w.new');
    await client.addCondition('w.new', new Condition({ age__gte: 18 }));
    await client.create('other.new');
    await client.destroy('w.kept');
    await watcher.waitFor('stdout', 'w.kept deleted');
    watcher.child.kill('SIGINT');
    expect(await watcher.exited).to.equal(0);

    const lines = watcher.stdout().trimEnd().split('\n');
    expect(lines.map((line) => line.replace(new RegExp(`^${TIME} `), ''))).to.deep.equal([
      'w.new off (created)',
      'w.new on (state: off → on)',
      'w.new on (condition added: age >= 18)',
      'w.kept deleted',
    ]);
    for (const line of lines) {
      const time = Date.parse(line.slice(0, line.indexOf(' ')));
      expect(time).to.be.within(started, Date.now());
    }
    expect(watcher.stderr()).to.equal(`watching ${at}: 1 flag starting with "w."; Ctrl-C stops\n`);
  });

  it('--json: one object per line, the flag as stored (ids beyond 2^53 exact); SIGTERM ends it with exit 0', async function () {
    await client.create('j.a');
    const watcher = await watch('--json');
    expect(watcher.stderr()).to.equal(`watching ${at}: 1 flag; Ctrl-C stops\n`);
    await client.create('j.b', { clientData: { id: 12345678901234567890n, ratio: 1.5 } });
    await client.enable('j.a');
    await client.destroy('j.b');
    await watcher.waitFor('stdout', '"deleted"');
    watcher.child.kill('SIGTERM');
    expect(await watcher.exited).to.equal(0);

    const lines = watcher.stdout().trimEnd().split('\n');
    expect(lines[0]).to.include('"client_data": {"id": 12345678901234567890, "ratio": 1.5}');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map(({ time, flag, ...rest }) => [typeof time, typeof flag, rest])).to.deep.equal([
      ['string', 'object', { name: 'j.b', change: 'created', enabled: false, diff: [] }],
      ['string', 'object', { name: 'j.a', change: 'changed', enabled: true, diff: ['state: off → on'] }],
      ['string', 'undefined', { name: 'j.b', change: 'deleted' }],
    ]);
    expect(parsed[1].flag).to.include({ feature_name: 'j.a', is_enabled: true });
    expect(parsed[0].time as string).to.match(new RegExp(`^${TIME}$`));
  });

  it('says once that the server went away and once that it is back; a restarted server is followed', async function () {
    await client.create('r.before');
    const watcher = await watch('--prefix', 'r.');
    await server.stop();
    await watcher.waitFor('stderr', 'reconnecting');
    // Several polls fail while the server is down (backoff from 100 ms): still one line.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    server = await startServerProcess(['--store', 'memory', '--port', at.split(':')[1]]);
    await watcher.waitFor('stderr', 'reconnected');
    // A memory server restarted holds nothing: the flag it lost is reported deleted.
    await watcher.waitFor('stdout', 'r.before deleted');
    await client.create('r.after', { isEnabled: true });
    await watcher.waitFor('stdout', 'r.after on (created)');
    watcher.child.kill('SIGINT');
    expect(await watcher.exited).to.equal(0);

    const stderr = watcher.stderr().trimEnd().split('\n');
    expect(stderr).to.have.length(3);
    expect(stderr[1]).to.match(new RegExp(`^lost ${at} \\(.+\\); reconnecting$`));
    expect(stderr[2]).to.equal(`reconnected to ${at}`);
  });

  it('a server that cannot be reached at the start: exit 1, one line on stderr', async function () {
    const port = server.port;
    await server.stop();
    const run = await runFlipper(['--server', `127.0.0.1:${port}`, 'watch']);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.equal('');
    expect(run.stderr).to.match(new RegExp(`^flipper: .*127\\.0\\.0\\.1:${port}.*\\n$`));
    server = await startServerProcess(['--store', 'memory']);
  });

  it('ends with exit 0 when its reader goes away (flipper watch | head -n 1)', async function () {
    const pipeline = startShell(`"${process.execPath}" "${FLIPPER}" --server ${at} watch | head -n 1`);
    running.push(pipeline);
    await pipeline.waitFor('stderr', 'Ctrl-C stops');
    await client.create('p.first');
    await pipeline.waitFor('stdout', 'p.first');
    // head has gone: the next line finds no reader.
    await client.create('p.second');
    expect(await pipeline.exited).to.equal(0);
    expect(pipeline.stdout()).to.match(new RegExp(`^${TIME} p\\.first off \\(created\\)\\n$`));
  });
});
