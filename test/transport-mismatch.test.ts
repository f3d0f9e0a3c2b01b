// A client and a server on different transports (framed against buffered) say so at once, on both
// sides, instead of waiting silently for the call's deadline.
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { ConnectionError, MemoryFeatureFlagStore, StoreError, ThriftRPCFeatureFlagStore } from '../client';
import { FlagServer } from '../server/flag-server';
import type { ProtocolName, TransportName } from '../shared/thrift/wire';
import { recordingLogger } from './helpers/broken-store';
import { failure } from './helpers/controlled-store';

const PAIRS: Array<[TransportName, TransportName]> = [
  ['buffered', 'framed'],
  ['framed', 'buffered'],
];

describe('transport mismatch', function () {
  for (const [serverTransport, clientTransport] of PAIRS) {
    for (const protocol of ['binary', 'compact'] as ProtocolName[]) {
      it(`a ${clientTransport} client on a ${serverTransport} server (${protocol}): both say so at once`, async function () {
        const logger = recordingLogger();
        const server = new FlagServer({
          store: new MemoryFeatureFlagStore(),
          port: 0,
          transport: serverTransport,
          protocol,
          logger,
        });
        const { port } = await server.listen();
        const rpc = new ThriftRPCFeatureFlagStore({ port, transport: clientTransport, protocol }, { timeout: 2000 });
        try {
          const started = Date.now();
          const error = (await failure(rpc.get('f'))) as Error;
          expect(Date.now() - started, 'long before the 2 s deadline').to.be.below(1000);
          expect(error).to.be.instanceOf(StoreError);
          const advice = `start the server with --transport ${clientTransport}, or give the client transport '${serverTransport}'`;
          expect(error.message).to.include(
            `transport mismatch: this server uses the ${serverTransport} transport and the client ${clientTransport}`,
          );
          expect(error.message).to.include(advice);
          const warned = logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
          expect(warned).to.have.length(1);
          expect(warned[0]).to.include(advice);
        } finally {
          await rpc.close();
          await server.close();
        }
      });
    }
  }

  it('a buffered client whose server answers framed replies says so (any Thrift server)', async function () {
    // A server that answers every call with a framed reply, whatever it was sent.
    const sockets = new Set<Socket>();
    const framedServer: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => {
        const message = Buffer.from([0x80, 0x01, 0x00, 0x02, 0, 0, 0, 3, 0x47, 0x65, 0x74, 0, 0, 0, 1, 0]);
        const length = Buffer.alloc(4);
        length.writeUInt32BE(message.length);
        socket.write(Buffer.concat([length, message]));
      });
    });
    await new Promise<void>((resolve) => framedServer.listen(0, '127.0.0.1', resolve));
    const { port } = framedServer.address() as { port: number };
    const rpc = new ThriftRPCFeatureFlagStore({ port, transport: 'buffered' }, { timeout: 2000 });
    try {
      const error = (await failure(rpc.get('f'))) as Error;
      expect(error).to.be.instanceOf(ConnectionError);
      expect(error.message).to.include(
        "transport mismatch: this client uses the buffered transport and the server framed: give this client transport 'framed'",
      );
    } finally {
      await rpc.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => framedServer.close(resolve));
    }
  });
});
