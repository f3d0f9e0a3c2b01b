import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ThriftRPCFeatureFlagStore } from '../client';
import { makeTestCertificates, type CertFiles, type TestCertificates } from './helpers/certificates';
import { logRecords, startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { clientTls } from './helpers/tls-served';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(ROOT, 'test', 'python', 'tls_client.py');

/** Why the Python side cannot run here, or undefined when it can. */
function missingPython(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'from thrift.transport import TSSLSocket'], { stdio: 'ignore' });
    execFileSync('thrift', ['--version'], { stdio: 'ignore' });
  } catch {
    return `${PYTHON} with python3-thrift and the thrift compiler are needed (make system-deps)`;
  }
  return undefined;
}

describe('TLS across languages: python3-thrift TSSLSocket and Node against a flipper-server process', function () {
  this.timeout(60_000);
  let gen: string;
  let certs: TestCertificates;
  let dir: string;

  /** Runs the Python client and returns what it printed. */
  async function python(port: number, who: CertFiles | undefined, mode: string): Promise<Record<string, unknown>> {
    const args = [SCRIPT, gen, String(port), certs.ca, who?.cert ?? '-', who?.key ?? '-', mode];
    const { stdout } = await run(PYTHON, args);
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  before(function () {
    const reason = missingPython();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    gen = mkdtempSync(join(tmpdir(), 'flipper-gen-py-tls-'));
    execFileSync('thrift', ['--gen', 'py', '-out', gen, join(ROOT, 'thrift', 'feature_flag_store.thrift')]);
    certs = makeTestCertificates();
    dir = mkdtempSync(join(tmpdir(), 'flipper-polyglot-tls-'));
  });

  after(function () {
    if (gen) rmSync(gen, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
    certs?.remove();
  });

  it('over TLS (no client certificate asked), Python drives the six v1 methods', async function () {
    const server = await startServerProcess([
      '--store',
      'memory',
      '--tls-cert',
      certs.server.cert,
      '--tls-key',
      certs.server.key,
    ]);
    try {
      const out = await python(server.port, undefined, 'drive');
      expect(out).to.deep.include({
        created: { name: 'py-tls', enabled: false },
        after_set: true,
        after_meta: { owner: 'python', ticket: 7 },
        listed: ['py-tls'],
        after_delete: 0,
      });
      expect(out.tls_version).to.be.oneOf(['TLSv1.2', 'TLSv1.3']);
    } finally {
      expect(await server.stop()).to.equal(0);
    }
  });

  describe('mutual TLS (--tls-client-auth require) with an --authz policy', function () {
    let server: ServerProcess;
    let writer: ThriftRPCFeatureFlagStore;

    before(async function () {
      const policy = join(dir, 'authz.json');
      writeFileSync(policy, JSON.stringify({ writers: [{ identity: 'writer' }], readers: ['reader'] }));
      server = await startServerProcess([
        ...['--store', 'memory', '--tls-cert', certs.server.cert, '--tls-key', certs.server.key],
        ...['--tls-ca', certs.ca, '--tls-client-auth', 'require', '--authz', policy],
      ]);
      writer = new ThriftRPCFeatureFlagStore(
        { port: server.port, tls: clientTls(certs, certs.writer) },
        { timeout: 5000 },
      );
      await writer.create('existing', { isEnabled: true });
    });

    after(async function () {
      await writer?.close();
      if (server) expect(await server.stop()).to.equal(0);
    });

    it('Python with the writer certificate drives the six v1 methods', async function () {
      const out = await python(server.port, certs.writer, 'drive');
      expect(out).to.deep.include({ after_set: true, listed: ['existing', 'py-tls'], after_delete: 0 });
    });

    it('Python with a read-only certificate reads, and gets PERMISSION_DENIED (6) on each write; nothing changes', async function () {
      const before = JSON.stringify((await writer.list()).map((item) => item.toJSON()));
      const out = await python(server.port, certs.reader, 'read-only');
      expect(out.get).to.equal(true);
      expect(out.list).to.deep.equal(['existing']);
      const writes = out.writes as Record<string, { code: number; message: string }>;
      expect(Object.keys(writes)).to.deep.equal(['Create', 'Set', 'SetMeta', 'Delete']);
      for (const [method, result] of Object.entries(writes)) {
        expect(result.code, method).to.equal(6);
        expect(result.message, method).to.match(/may only read flags/);
      }
      expect(JSON.stringify((await writer.list()).map((item) => item.toJSON()))).to.equal(before);
    });

    it('refuses plain text, an expired certificate, another CA and no certificate; keeps serving the writer', async function () {
      expect(await python(server.port, undefined, 'plain')).to.deep.include({ refused: true });
      for (const who of [certs.expired, certs.foreign, undefined]) {
        expect(await python(server.port, who, 'refused'), who?.cert ?? 'no certificate').to.deep.include({
          refused: true,
        });
      }
      expect((await writer.get('existing'))?.isEnabled).to.equal(true);
      const refusals = logRecords(server).filter(
        (r) => r.msg === 'refused a connection: TLS handshake or client certificate',
      );
      expect(refusals.length).to.be.within(1, 4);
      for (const line of refusals) expect(line).to.not.have.any.keys('stack', 'err');
    });

    it('SIGHUP reloads the files; the writer is still served', async function () {
      server.child.kill('SIGHUP');
      const deadline = Date.now() + 5000;
      while (!logRecords(server).some((r) => r.msg === 'reloaded the TLS and policy files') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(logRecords(server).some((r) => r.msg === 'reloaded the TLS and policy files')).to.equal(true);
      expect((await writer.get('existing'))?.isEnabled).to.equal(true);
    });
  });
});
