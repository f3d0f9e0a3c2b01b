import { expect } from 'chai';
import { createServer, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { ThriftRPCFeatureFlagStore } from '../client';
import { makeTestCertificates, type TestCertificates } from './helpers/certificates';
import { logRecords, residentBytes, startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { openSocket, socketClosed } from './helpers/raw-sockets';
import { exchange, randomBytes, seededRandom } from './helpers/raw-thrift';
import { clientTls } from './helpers/tls-served';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_130);
const FUZZ_CASES = Number(process.env.FUZZ_CASES ?? 400);
const HANDSHAKE_TIMEOUT_S = 1;

/** The first flight of a real TLS client (its ClientHello record), captured from a local listener. */
async function captureClientHello(certs: TestCertificates): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const listener = createServer((socket: Socket) => {
      socket.once('data', (chunk: Buffer) => {
        socket.destroy();
        listener.close();
        resolve(chunk);
      });
    });
    listener.listen(0, '127.0.0.1', () => {
      const port = (listener.address() as { port: number }).port;
      const client = connectTls({ port, host: '127.0.0.1', ...clientTls(certs, certs.writer) });
      client.on('error', () => undefined);
      client.on('close', () => client.destroy());
    });
    listener.on('error', reject);
  });
}

describe('TLS port: hostile handshakes close only their connection, the server stays up with bounded memory', function () {
  this.timeout(180_000);
  let certs: TestCertificates;
  let server: ServerProcess;
  let writer: ThriftRPCFeatureFlagStore;
  let hello: Buffer;

  before(async function () {
    certs = makeTestCertificates();
    hello = await captureClientHello(certs);
    expect(hello[0], 'a TLS handshake record').to.equal(0x16);
    server = await startServerProcess([
      ...['--store', 'memory', '--tls-cert', certs.server.cert, '--tls-key', certs.server.key],
      ...['--tls-ca', certs.ca, '--tls-client-auth', 'require'],
      ...['--tls-handshake-timeout', String(HANDSHAKE_TIMEOUT_S)],
    ]);
    writer = new ThriftRPCFeatureFlagStore(
      { port: server.port, tls: clientTls(certs, certs.writer) },
      { timeout: 5000 },
    );
    await writer.create('existing', { isEnabled: true, clientData: { team: 'growth' } });
  });

  afterEach(async function () {
    expect(server.child.exitCode, 'the server process exited').to.equal(null);
    expect((await writer.get('existing'))?.isEnabled, 'the writer is still served').to.equal(true);
    expect((await writer.list()).map((item) => item.featureName)).to.deep.equal(['existing']);
  });

  after(async function () {
    await writer?.close();
    if (server) expect(await server.stop()).to.equal(0);
    certs?.remove();
  });

  it(`${FUZZ_CASES} seeded handshake payloads (garbage, bad record headers, truncated and corrupted ClientHellos), whole and split`, async function () {
    console.log(`      fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
    const random = seededRandom(SEED);
    const rssBefore = residentBytes(server.child.pid!);
    const payloads: Buffer[] = [];
    for (let i = 0; i < FUZZ_CASES; i++) {
      const kind = i % 5;
      if (kind === 0) payloads.push(randomBytes(random, 1 + Math.floor(random() * 400)));
      else if (kind === 1) {
        // A record header claiming up to 64 KiB, with fewer bytes behind it.
        const header = Buffer.from([0x14 + Math.floor(random() * 4), 0x03, Math.floor(random() * 5), 0, 0]);
        header.writeUInt16BE(Math.floor(random() * 0x10000), 3);
        payloads.push(Buffer.concat([header, randomBytes(random, Math.floor(random() * 300))]));
      } else if (kind === 2) payloads.push(hello.subarray(0, 1 + Math.floor(random() * (hello.length - 1))));
      else if (kind === 3) payloads.push(Buffer.concat([hello, randomBytes(random, 1 + Math.floor(random() * 200))]));
      else {
        const corrupted = Buffer.from(hello);
        for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
          corrupted[5 + Math.floor(random() * (corrupted.length - 5))] = Math.floor(random() * 256);
        }
        payloads.push(corrupted);
      }
    }
    let closed = 0;
    for (let i = 0; i < payloads.length; i += 25) {
      const batch = payloads.slice(i, i + 25).map(async (payload, k) => {
        const pieces: Buffer[] = [];
        if ((i + k) % 2 === 0) pieces.push(payload);
        else {
          for (let at = 0; at < payload.length;) {
            const size = 1 + Math.floor(random() * 37);
            pieces.push(payload.subarray(at, at + size));
            at += size;
          }
        }
        // Whatever the bytes, the server ends the connection by the handshake deadline.
        const result = await exchange(server.port, pieces, { waitMs: HANDSHAKE_TIMEOUT_S * 1000 + 3000 });
        if (result.closed) closed++;
        // Nothing but TLS records (alerts, or the server's flight to a ClientHello) comes back.
        if (result.received.length > 0) expect([0x15, 0x16], `reply to case ${i + k}`).to.include(result.received[0]);
      });
      await Promise.all(batch);
    }
    expect(closed).to.equal(payloads.length);
    const grown = residentBytes(server.child.pid!) - rssBefore;
    console.log(`      resident memory grew by ${Math.round(grown / 1024)} KiB over ${FUZZ_CASES} hostile handshakes`);
    expect(grown).to.be.lessThan(64 * 1024 * 1024);
    // Refusals are logged at most 100 lines a minute however many peers misbehave.
    const refusals = logRecords(server).filter(
      (r) => r.msg === 'refused a connection: TLS handshake or client certificate',
    );
    expect(refusals.length).to.be.within(1, 100);
  });

  it('200 half-open handshakes held at once: the writer is served meanwhile; all are cut at the deadline; memory bounded', async function () {
    const rssBefore = residentBytes(server.child.pid!);
    const sockets = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const socket = await openSocket(server.port, `127.0.1.${1 + (i % 200)}`);
        socket.on('error', () => undefined);
        socket.write(hello.subarray(0, 40));
        return socket;
      }),
    );
    try {
      expect((await writer.get('existing'))?.isEnabled).to.equal(true);
      const started = Date.now();
      await Promise.all(sockets.map(socketClosed));
      expect(Date.now() - started).to.be.lessThan(HANDSHAKE_TIMEOUT_S * 1000 + 3000);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    const grown = residentBytes(server.child.pid!) - rssBefore;
    expect(grown).to.be.lessThan(64 * 1024 * 1024);
  });
});
