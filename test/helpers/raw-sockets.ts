import { connect, type Socket } from 'node:net';

/** A plain TCP connection to a local server, from `localAddress` (another loopback address for per-IP tests). */
export function openSocket(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Settles when the socket has closed (at once if it already has). */
export function socketClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}
