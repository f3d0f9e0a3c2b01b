import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestCertificates, type CertFiles, type TestCertificates } from './helpers/certificates';
import { startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { runFlipper, startFlipper, type CliRun } from './helpers/flipper-cli-process';
import { startHistoryServer } from './helpers/history-server';

/** `flipper --tls-*` against flag server processes serving TLS, one of them asking for client certificates. */
describe('flipper over TLS', function () {
  this.timeout(60_000);
  let certs: TestCertificates;
  /** TLS, client certificates required, a policy: `writer` writes, `reader` reads. */
  let mutual: ServerProcess;
  /** TLS, no client certificates. */
  let serverOnly: ServerProcess;
  const ca = () => ['--tls-ca', certs.ca];
  const as = (who: CertFiles) => ['--tls-cert', who.cert, '--tls-key', who.key];
  const to = (server: ServerProcess) => ['--server', `127.0.0.1:${server.port}`];
  const oneErrorLine = (run: CliRun) => {
    expect(run.stderr.trimEnd().split('\n'), run.stderr).to.have.length(1);
    expect(run.stderr).to.match(/^flipper: /);
  };

  before(async function () {
    certs = makeTestCertificates();
    const tls = ['--tls-cert', certs.server.cert, '--tls-key', certs.server.key];
    const policy = join(certs.dir, 'authz.json');
    writeFileSync(policy, JSON.stringify({ writers: [{ identity: 'writer' }], readers: ['reader'] }));
    mutual = await startServerProcess([
      '--store',
      'memory',
      ...tls,
      '--tls-ca',
      certs.ca,
      '--tls-client-auth',
      'require',
      '--authz',
      policy,
    ]);
    serverOnly = await startServerProcess(['--store', 'memory', ...tls]);
  });

  after(async function () {
    await Promise.all([mutual?.stop(), serverOnly?.stop()]);
    certs?.remove();
  });

  it('mutual TLS: the client certificate is the identity the server authorizes', async function () {
    const create = await runFlipper([...to(mutual), ...ca(), ...as(certs.writer), 'create', 'tls.a', '--enabled']);
    expect([create.code, create.stdout, create.stderr]).to.deep.equal([0, 'created tls.a (on)\n', '']);
    const list = await runFlipper([...to(mutual), ...ca(), ...as(certs.reader), 'list', '--prefix', 'tls.']);
    expect([list.code, list.stdout]).to.deep.equal([
      0,
      'NAME   STATE  CONDITIONS  BUCKETER\ntls.a  on     0           none\n',
    ]);
    // The reader may not write: the server refuses (exit 1), nothing changes.
    const refused = await runFlipper([...to(mutual), ...ca(), ...as(certs.reader), 'disable', 'tls.a']);
    expect(refused.code).to.equal(1);
    oneErrorLine(refused);
    expect(refused.stderr).to.include('PERMISSION_DENIED');
    const show = await runFlipper([...to(mutual), ...ca(), ...as(certs.reader), 'show', 'tls.a', '--json']);
    expect(show.stdout).to.include('"is_enabled": true');
  });

  it('the same from FLIPPER_CLIENT_TLS_CA, FLIPPER_CLIENT_TLS_CERT, FLIPPER_CLIENT_TLS_KEY and FLIPPER_CLIENT_TLS_SERVERNAME', async function () {
    const env = {
      FLIPPER_SERVER: `127.0.0.1:${mutual.port}`,
      FLIPPER_CLIENT_TLS_CA: certs.ca,
      FLIPPER_CLIENT_TLS_CERT: certs.writer.cert,
      FLIPPER_CLIENT_TLS_KEY: certs.writer.key,
      FLIPPER_CLIENT_TLS_SERVERNAME: 'localhost',
    };
    const run = await runFlipper(['create', 'tls.env'], env);
    expect([run.code, run.stdout, run.stderr]).to.deep.equal([0, 'created tls.env (off)\n', '']);
    // An option wins over its variable: another name than the certificate's is refused.
    const wrongName = await runFlipper(['--tls-servername', 'flags.example', 'show', 'tls.env'], env);
    expect(wrongName.code).to.equal(1);
    oneErrorLine(wrongName);
  });

  it('watch follows the change feed over mutual TLS', async function () {
    const watcher = startFlipper([...to(mutual), ...ca(), ...as(certs.reader), 'watch', '--prefix', 'tls.watch.']);
    try {
      await watcher.waitFor('stderr', 'Ctrl-C stops');
      const create = await runFlipper([...to(mutual), ...ca(), ...as(certs.writer), 'create', 'tls.watch.a']);
      expect(create.code).to.equal(0);
      await watcher.waitFor('stdout', 'tls.watch.a off (created)');
      watcher.child.kill('SIGINT');
      expect(await watcher.exited).to.equal(0);
    } finally {
      watcher.child.kill('SIGKILL');
    }
  });

  it('refused connections are one line and exit 1: no certificate, another CA, plain text, a wrong server name', async function () {
    const cases: Array<[string, string[]]> = [
      ['no client certificate', [...to(mutual), ...ca()]],
      ['a certificate from another CA', [...to(mutual), ...ca(), ...as(certs.foreign)]],
      ['a server from a CA not trusted', [...to(serverOnly), '--tls-ca', certs.otherCa]],
      ['plain text to a TLS port', [...to(serverOnly)]],
      ['a name the certificate does not carry', [...to(serverOnly), ...ca(), '--tls-servername', 'flags.example']],
    ];
    for (const [what, args] of cases) {
      const run = await runFlipper([...args, 'list']);
      expect(run.code, what).to.equal(1);
      expect(run.stdout, what).to.equal('');
      oneErrorLine(run);
      expect(run.stderr, what).to.include(args.includes('--tls-ca') ? 'serving TLS there?' : 'needs --tls-ca');
    }
    // TLS to the server only (no client certificate asked): the CA alone is enough.
    const served = await runFlipper([...to(serverOnly), ...ca(), '--tls-servername', 'localhost', 'list']);
    expect([served.code, served.stdout]).to.deep.equal([0, 'no flags\n']);
  });

  it('history shows the certificate identity beside the declared actor', async function () {
    const server = await startHistoryServer('cli-watch-tls', () => Date.UTC(2026, 11, 1), {
      certFile: certs.server.cert,
      keyFile: certs.server.key,
      caFile: certs.ca,
      clientAuth: 'require',
    });
    try {
      const at = ['--server', `127.0.0.1:${server.port}`, ...ca()];
      expect((await runFlipper([...at, ...as(certs.deployer), 'create', 'tls.who', '--actor', 'alice'])).code).to.equal(
        0,
      );
      expect((await runFlipper([...at, ...as(certs.reader), 'enable', 'tls.who', '--actor', 'reader'])).code).to.equal(
        0,
      );
      const run = await runFlipper([...at, ...as(certs.reader), 'history', 'tls.who']);
      expect(run.stdout.split('\n').map((line) => line.split(/ {2,}/)[2])).to.deep.equal([
        'WHO',
        'reader',
        'alice (cert deployer)',
        undefined,
      ]);
    } finally {
      await server.close();
    }
  });

  it('TLS files that cannot be used are usage errors (exit 2), named, before any connection', async function () {
    const notPem = join(certs.dir, 'not-pem.txt');
    writeFileSync(notPem, 'this is not a certificate\n');
    const cases: Array<[string[], RegExp]> = [
      [['--tls-ca', join(certs.dir, 'missing.crt')], /--tls-ca: cannot read .*missing\.crt \(ENOENT\)/],
      [['--tls-ca', notPem], /TLS files cannot be used .*--tls-ca .*not-pem\.txt/],
      [[...ca(), '--tls-cert', certs.writer.cert], /--tls-cert and --tls-key go together/],
      [[...ca(), '--tls-cert', certs.writer.cert, '--tls-key', certs.reader.key], /cannot be used .*--tls-key/],
      [[...ca(), '--tls-cert', notPem, '--tls-key', certs.writer.key], /cannot be used/],
    ];
    // watch reads them as every other command does.
    for (const [i, [args, expected]] of cases.entries()) {
      const run = await runFlipper([...to(mutual), ...args, i === 0 ? 'watch' : 'list']);
      expect(run.code, args.join(' ')).to.equal(2);
      oneErrorLine(run);
      expect(run.stderr).to.match(expected);
    }
    const fromEnv = await runFlipper([...to(mutual), 'list'], { FLIPPER_CLIENT_TLS_KEY: certs.writer.key });
    expect(fromEnv.code).to.equal(2);
    expect(fromEnv.stderr).to.include('--tls-cert and --tls-key go together');
  });
});
