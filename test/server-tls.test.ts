import { expect } from 'chai';
import { copyFileSync, readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import {
  ConnectionError,
  FeatureFlagClient,
  FlipperError,
  FeatureFlagStoreMeta,
  ThriftRPCFeatureFlagStore,
  ThriftReplicaFeatureFlagStore,
} from '../client';
import { recordingLogger } from '../client/testing/recording-logger';
import { encodeCall, exchange, stringField } from './helpers/raw-thrift';
import { makeTestCertificates, type CertFiles, type TestCertificates } from './helpers/certificates';
import { clientTls, tlsClient, tlsServer } from './helpers/tls-served';
import { socketClosed } from './helpers/raw-sockets';
import { startServerProcess } from './helpers/flag-server-process';
import { nextChange } from './helpers/replica-waits';

/** A TCP connection to the local server from `localAddress` (another loopback address, for per-address cases). */
function tcpFrom(port: number, localAddress: string) {
  const socket = connectTcp({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  return socket;
}

/** Connects with TLS from `localAddress`, resolves with the socket once the handshake is done. */
function openTls(
  port: number,
  certs: TestCertificates,
  who?: CertFiles,
  localAddress = '127.0.0.1',
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ socket: tcpFrom(port, localAddress), host: '127.0.0.1', ...clientTls(certs, who) });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The six v1 methods through the store, ending with the flag deleted; returns what was read. */
async function driveSixMethods(store: ReturnType<typeof tlsClient>, name: string) {
  const created = await store.create(name, { isEnabled: false, clientData: { team: 'a' } });
  await store.set(name, true);
  const got = await store.get(name);
  await store.setMeta(name, new FeatureFlagStoreMeta({ createdDate: 1_700_000_000, clientData: { team: 'b' } }));
  const listed = (await store.list()).map((item) => item.featureName);
  const afterMeta = await store.get(name);
  await store.delete(name);
  const gone = await store.get(name);
  return { created, got, listed, afterMeta, gone };
}

describe('flag server over TLS', function () {
  this.timeout(30_000);
  let certs: TestCertificates;

  before(function () {
    certs = makeTestCertificates();
  });

  after(function () {
    certs?.remove();
  });

  it('a Node RPC client drives the six v1 methods over TLS (server certificate only)', async function () {
    const { server, port } = await tlsServer(certs);
    const store = tlsClient(port, certs);
    try {
      const out = await driveSixMethods(store, 'tls-flag');
      expect(out.created.isEnabled).to.equal(false);
      expect(out.got?.isEnabled).to.equal(true);
      expect(out.listed).to.deep.equal(['tls-flag']);
      expect(out.afterMeta?.meta.clientData).to.deep.equal({ team: 'b' });
      expect(out.gone).to.equal(undefined);
    } finally {
      await store.close();
      await server.close();
    }
  });

  it('over mutual TLS (require): the client certificate (CN and SANs) is the identity of the caller on its connection', async function () {
    const { server, port } = await tlsServer(certs, { tls: { clientAuth: 'require' } });
    const store = tlsClient(port, certs, certs.writer);
    try {
      const out = await driveSixMethods(store, 'mtls-flag');
      expect(out.got?.isEnabled).to.equal(true);
      const callers = server.callers();
      expect(callers).to.have.length(1);
      expect(callers[0].listener).to.equal('main');
      expect(callers[0].actor).to.equal('writer');
      expect(callers[0].identity).to.deep.equal({
        name: 'writer',
        commonName: 'writer',
        altNames: ['spiffe://flags/writer'],
      });
    } finally {
      await store.close();
      await server.close();
    }
  });

  it('refuses a plain-text client, an expired certificate, one from another CA, and none under require; serves others', async function () {
    const logger = recordingLogger();
    const {
      server,
      port,
      store: backend,
    } = await tlsServer(certs, {
      logger,
      tls: { clientAuth: 'require' },
    });
    const writer = tlsClient(port, certs, certs.writer);
    try {
      await writer.create('kept', { isEnabled: true });
      // Plain text: a well-formed Thrift call gets no Thrift answer, and the connection is closed.
      const call = encodeCall({ transport: 'buffered', protocol: 'binary' }, 'Set', 1, (w) => {
        stringField(w, 1, 'kept');
      });
      const plain = await exchange(port, [call], { waitMs: 5000 });
      expect(plain.closed).to.equal(true);
      expect(plain.received.length === 0 || plain.received[0] === 0x15, 'only a TLS alert, if anything').to.equal(true);
      // Each refused client: its calls fail, and it wrote nothing. (Under TLS 1.3 the client finishes
      // its side of the handshake before the server judges its certificate, so a write sent at once
      // is lost with the connection: the client cannot know it was refused, hence OutcomeUnknownError.)
      for (const who of [certs.expired, certs.foreign, undefined]) {
        const refused = tlsClient(port, certs, who);
        const label = `client ${who?.cert ?? 'without a certificate'}`;
        try {
          const write = await refused.set('kept', false).catch((e: unknown) => e);
          expect(write, label).to.be.instanceOf(FlipperError);
          expect((write as FlipperError).code, label).to.be.oneOf(['CONNECTION_ERROR', 'OUTCOME_UNKNOWN']);
          expect(await refused.get('kept').catch((e: unknown) => e), label).to.be.instanceOf(ConnectionError);
        } finally {
          await refused.close();
        }
      }
      expect((await backend.get('kept'))?.isEnabled).to.equal(true);
      expect((await writer.get('kept'))?.isEnabled, 'the writer is still served').to.equal(true);
      // Logged with the address and reason, no stack; one line per address per minute (all came from 127.0.0.1).
      const refusals = logger.at('warn').filter((l) => l.msg?.startsWith('refused a connection'));
      expect(refusals).to.have.length(1);
      const fields = refusals[0].obj as Record<string, unknown>;
      expect(fields.remote).to.match(/^127\.0\.0\.1:\d+$/);
      expect(fields.reason).to.match(/TLS handshake failed/);
      expect(JSON.stringify(refusals[0].obj)).to.not.match(/stack|\n\s+at /);
    } finally {
      await writer.close();
      await server.close();
    }
  });

  it('names each refusal reason, one line per address (each from its own loopback address)', async function () {
    const logger = recordingLogger();
    const { server, port } = await tlsServer(certs, { logger, tls: { clientAuth: 'require' } });
    try {
      const cases: Array<[CertFiles | undefined, RegExp]> = [
        [certs.expired, /CERT_HAS_EXPIRED/],
        [certs.foreign, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/],
        [undefined, /no client certificate/],
      ];
      for (const [i, [who]] of cases.entries()) {
        for (let again = 0; again < 3; again++) {
          const socket = await openTls(port, certs, who, `127.0.0.${10 + i}`);
          await socketClosed(socket);
        }
      }
      const refusals = logger.at('warn').filter((l) => l.msg?.startsWith('refused a connection'));
      expect(refusals).to.have.length(3);
      for (const [i, [, reason]] of cases.entries()) {
        const fields = refusals[i].obj as Record<string, string>;
        expect(fields.remote.startsWith(`127.0.0.${10 + i}:`)).to.equal(true);
        expect(fields.reason).to.match(reason);
      }
    } finally {
      await server.close();
    }
  });

  it('optional client certificates: none is anonymous, an invalid one is refused', async function () {
    const { server, port } = await tlsServer(certs, { tls: { clientAuth: 'optional' } });
    const anonymous = tlsClient(port, certs);
    const expired = tlsClient(port, certs, certs.expired);
    try {
      await anonymous.create('anon', { isEnabled: true });
      expect(server.callers().map((c) => c.actor)).to.deep.equal([undefined]);
      expect(await expired.get('anon').catch((e: unknown) => e)).to.be.instanceOf(ConnectionError);
    } finally {
      await anonymous.close();
      await expired.close();
      await server.close();
    }
  });

  it('the client refuses a server whose certificate is not from the CA it trusts', async function () {
    const { server, port } = await tlsServer(certs);
    const store = new ThriftRPCFeatureFlagStore({ port, tls: { ca: readFileSync(certs.otherCa) } }, { timeout: 3000 });
    try {
      const error = (await store.get('x').catch((e: unknown) => e)) as Error;
      expect(error).to.be.instanceOf(ConnectionError);
      expect(error.message).to.match(/certificate/i);
      expect(server.connectionCount).to.equal(0);
    } finally {
      await store.close();
      await server.close();
    }
  });

  it('a connection that never finishes its handshake is cut at the handshake deadline', async function () {
    const { server, port } = await tlsServer(certs, { tls: { handshakeTimeoutMs: 300 } });
    try {
      const started = Date.now();
      const result = await exchange(port, [Buffer.from([0x16, 0x03, 0x01])], { waitMs: 5000 });
      expect(result.closed).to.equal(true);
      expect(Date.now() - started).to.be.within(250, 4000);
    } finally {
      await server.close();
    }
  });

  it('the idle timeout closes an idle TLS connection after its handshake, as a plain one', async function () {
    const { server, port } = await tlsServer(certs, { idleTimeoutMs: 300 });
    try {
      const socket = await openTls(port, certs);
      const started = Date.now();
      await socketClosed(socket);
      expect(Date.now() - started).to.be.within(200, 3000);
    } finally {
      await server.close();
    }
  });

  it('the per-address connection limit counts TLS connections before their handshake', async function () {
    const { server, port } = await tlsServer(certs, { maxConnectionsPerIp: 2 });
    const held = [
      await openTls(port, certs, undefined, '127.0.0.20'),
      await openTls(port, certs, undefined, '127.0.0.20'),
    ];
    try {
      // From the full address, a new connection is closed before any handshake byte comes back.
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connectTls({ socket: tcpFrom(port, '127.0.0.20'), host: '127.0.0.1', ...clientTls(certs) });
        socket.once('secureConnect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
        socket.once('close', () => resolve(true));
      });
      expect(refused).to.equal(true);
      // Another address is served.
      const other = await openTls(port, certs, undefined, '127.0.0.21');
      other.destroy();
    } finally {
      for (const socket of held) socket.destroy();
      await server.close();
    }
  });

  it('reload: new connections get the renewed certificate, an open connection keeps working', async function () {
    const dir = certs.dir;
    const certFile = `${dir}/reload-server.crt`;
    const keyFile = `${dir}/reload-server.key`;
    copyFileSync(certs.server.cert, certFile);
    copyFileSync(certs.server.key, keyFile);
    const { server, port } = await tlsServer(certs, { tls: { certFile, keyFile } });
    const store = tlsClient(port, certs);
    try {
      await store.create('before-reload', { isEnabled: true });
      const serialOf = async () => {
        const socket = await openTls(port, certs);
        const serial = socket.getPeerCertificate().serialNumber;
        socket.destroy();
        return serial;
      };
      const before = await serialOf();
      copyFileSync(certs.renewedServer.cert, certFile);
      copyFileSync(certs.renewedServer.key, keyFile);
      await server.reload();
      const after = await serialOf();
      expect(after).to.not.equal(before);
      // The store's connection, opened before the reload, still answers (no reconnect needed).
      const callersBefore = server.callers().length;
      expect((await store.get('before-reload'))?.isEnabled).to.equal(true);
      expect(server.callers().length).to.equal(callersBefore);
      // A bad file: reload fails naming it, and the certificate in use stays.
      copyFileSync(certs.ca, keyFile);
      const error = (await server.reload().catch((e: unknown) => e)) as Error;
      expect(error.message).to.include(keyFile);
      expect(await serialOf()).to.equal(after);
    } finally {
      await store.close();
      await server.close();
    }
  });

  it('flipper-server exits 2 with one line naming a TLS or policy file it cannot use', async function () {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--tls-cert', `${certs.dir}/missing.crt`, '--tls-key', certs.server.key],
        /cannot read the TLS certificate .*missing\.crt/,
      ],
      [['--tls-cert', certs.server.cert, '--tls-key', certs.writer.key], /cannot be used/],
      [['--authz', `${certs.dir}/missing.json`], /--authz .*missing\.json: cannot read it/],
    ];
    for (const [args, expected] of cases) {
      const error = (await startServerProcess(['--store', 'memory', ...args]).catch((e: unknown) => e)) as Error;
      expect(error.message, args.join(' '))
        .to.match(/exited with 2/)
        .and.match(expected);
      expect(error.message).to.not.match(/\n\s+at /);
    }
  });

  it('a replica follows the change feed over mutual TLS (its feed connection uses the tls option too)', async function () {
    const { server, port } = await tlsServer(certs, { tls: { clientAuth: 'require' } });
    const writer = tlsClient(port, certs, certs.writer);
    const replica = new ThriftReplicaFeatureFlagStore({ port, tls: clientTls(certs, certs.reader) }, { timeout: 3000 });
    try {
      expect(await replica.ready()).to.equal('fresh');
      const changed = nextChange(replica, 'fed-over-tls');
      await writer.create('fed-over-tls', { isEnabled: true });
      await changed;
      expect(replica.peek('fed-over-tls')?.isEnabled).to.equal(true);
    } finally {
      await replica.close();
      await writer.close();
      await server.close();
    }
  });

  it('FeatureFlagClient over a TLS RPC store evaluates as over plain text', async function () {
    const { server, port } = await tlsServer(certs, { tls: { clientAuth: 'require' } });
    const store = tlsClient(port, certs, certs.writer);
    try {
      const client = new FeatureFlagClient(store);
      await client.create('client-flag', { isEnabled: true });
      expect(await client.isEnabled('client-flag')).to.equal(true);
    } finally {
      await store.close();
      await server.close();
    }
  });
});
