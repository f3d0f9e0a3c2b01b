import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionDeniedError, ThriftRPCFeatureFlagStore } from '../client';
import {
  freePort,
  runShell,
  shellBlock,
  shellBlocks,
  shellExpected,
  startShellServer,
} from './helpers/readme-security-shell';

describe("the README's Security section: every shell block runs", function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'flipper-readme-security-'));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('every block is marked with what runs it (none is skipped)', function () {
    const known = ['certificates', 'server', 'read-only-server', 'console-server', 'console-login'];
    const blocks = shellBlocks('Security');
    expect(blocks.map((b) => b.directive)).to.have.members(known);
  });

  it('the certificate block makes a CA, a server and two clients that openssl verifies', function () {
    const block = shellBlock('Security', 'certificates');
    const printed = runShell(block.code, dir);
    expect(printed).to.deep.equal(shellExpected(block.code));
    expect(printed).to.deep.equal(['server.crt: OK', 'deployer.crt: OK', 'replica.crt: OK']);
  });

  // The server block (mutual TLS with the policy) is run by the README's TypeScript example that
  // follows it, through the tls-server setup (test/helpers/readme-setups.ts), in readme.test.ts.
  it('the server block starts a mutual-TLS server with the policy', async function () {
    runShell(shellBlock('Security', 'certificates').code, dir);
    const port = await freePort();
    const server = await startShellServer(shellBlock('Security', 'server').code, dir, { FLIPPER_PORT: String(port) });
    try {
      const listening = JSON.parse(server.lines.find((l) => l.includes('"msg":"listening"'))!) as Record<
        string,
        unknown
      >;
      expect(listening).to.deep.include({
        port,
        tls: { clientAuth: 'require', minVersion: 'TLSv1.2' },
        authz: 'authz.json',
      });
    } finally {
      await server.stop();
    }
  });

  it('the read-only block: the main port refuses writes, the admin port on loopback takes them', async function () {
    const [port, adminPort] = [await freePort(), await freePort()];
    const server = await startShellServer(shellBlock('Security', 'read-only-server').code, dir, {
      FLIPPER_PORT: String(port),
      FLIPPER_ADMIN_PORT: String(adminPort),
    });
    const main = new ThriftRPCFeatureFlagStore({ port }, { timeout: 3000 });
    const admin = new ThriftRPCFeatureFlagStore({ port: adminPort }, { timeout: 3000 });
    try {
      const listening = JSON.parse(server.lines.find((l) => l.includes('"msg":"listening"'))!) as Record<
        string,
        unknown
      >;
      expect(listening).to.deep.include({ readOnly: true, adminPort, adminAddress: '127.0.0.1' });
      expect(await main.create('f').catch((e: unknown) => e)).to.be.instanceOf(PermissionDeniedError);
      await admin.create('f', { isEnabled: true });
      expect((await main.get('f'))?.isEnabled).to.equal(true);
    } finally {
      await main.close();
      await admin.close();
      await server.stop();
    }
  });

  it('the console blocks: a server whose console needs the token, and curl logging in', async function () {
    const [port, httpPort] = [await freePort(), await freePort()];
    const env = { FLIPPER_PORT: String(port), FLIPPER_HTTP_PORT: String(httpPort) };
    const server = await startShellServer(shellBlock('Security', 'console-server').code, dir, env);
    try {
      const block = shellBlock('Security', 'console-login');
      expect(runShell(block.code, dir, env)).to.deep.equal(shellExpected(block.code));
      const token = readFileSync(join(dir, 'console.token'), 'utf8').trim();
      expect(token).to.match(/^[0-9a-f]{64}$/);
      expect(server.lines.join('\n')).not.to.include(token);
    } finally {
      await server.stop();
    }
  });
});
