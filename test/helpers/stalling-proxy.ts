import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * Forwards loopback connections to `targetPort`; `stall()` stops forwarding in both directions
 * while keeping every connection open (a backend that hangs), holding what arrives, and `resume()`
 * delivers what was held and forwards again: the commands sent during a stall reach the backend
 * late, as they would after a network partition heals.
 */
export class StallingProxy {
  port = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly held: Array<[Socket, Buffer]> = [];
  private stalled = false;

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.relay(client, upstream);
      this.relay(upstream, client);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    for (const [to, chunk] of this.held.splice(0)) if (!to.destroyed) to.write(chunk);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(from: Socket, to: Socket): void {
    this.sockets.add(from);
    from.on('error', () => {});
    from.on('close', () => {
      this.sockets.delete(from);
      to.destroy();
    });
    from.on('data', (chunk: Buffer) => {
      if (this.stalled) this.held.push([to, chunk]);
      else to.write(chunk);
    });
  }
}
