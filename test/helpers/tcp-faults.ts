import { connect, createServer, type Server, type Socket } from 'node:net';

// Shipped with the conformance suite, which makes its own failing endpoints.
export { SilentServer, unusedPort } from '../../client/testing/tcp-endpoints';

/**
 * Forwards loopback connections to `target`; `stop()` cuts them all, `start()` serves again on the
 * same port; `freeze()` stops forwarding the connections open now (new ones are still forwarded),
 * as a stalled NAT entry or a hung peer would; `stall()` holds every byte of every connection, new
 * ones included, and `resume()` delivers what was held and forwards again: commands sent during a
 * stall reach the backend late, as after a network partition heals. `down()` cuts every
 * connection and closes new ones as soon as they arrive (a backend that is down behind a load
 * balancer), still counting them in `accepted`; `up()` forwards again.
 */
export class TcpProxy {
  port = 0;
  /** Connections accepted so far, forwarded or not. */
  accepted = 0;
  private isDown = false;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly held: Array<[Socket, Buffer]> = [];
  private stalled = false;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<this> {
    const server = createServer((client) => {
      this.accepted++;
      if (this.isDown) {
        client.on('error', () => {});
        client.destroy();
        return;
      }
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.on('close', () => this.pairs.delete(pair));
      this.relay(client, upstream);
      this.relay(upstream, client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this;
  }

  /** Stops forwarding bytes either way on every connection open now; they stay open. */
  freeze(): void {
    for (const [client, upstream] of this.pairs) {
      client.pause();
      upstream.pause();
    }
    this.pairs.clear();
  }

  /** Holds every byte either way, on every connection, until `resume()`. */
  stall(): void {
    this.stalled = true;
  }

  /** Delivers what `stall()` held, in order, and forwards again. */
  resume(): void {
    this.stalled = false;
    for (const [to, chunk] of this.held.splice(0)) if (!to.destroyed) to.write(chunk);
  }

  /** Cuts every connection; new ones are closed as they arrive, until `up()`. */
  down(): void {
    this.isDown = true;
    for (const socket of this.sockets) socket.destroy();
  }

  /** Forwards new connections again. */
  up(): void {
    this.isDown = false;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private relay(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (this.stalled) this.held.push([to, chunk]);
      else to.write(chunk);
    });
  }
}
