import { ThriftReplicaFeatureFlagStore, ThriftRPCFeatureFlagStore } from '../../client';
import { residentBytes, startServerProcess } from './flag-server-process';
import { quietLogger } from './rpc-served';

/** What attaching many replicas to one server costs, and how fast one change reaches them all. */
export interface FanOut {
  replicas: number;
  /** ms from the first replica made to the last one fresh. */
  attachMs: number;
  /** ms from sending the write to the last replica's `changed` event. */
  allSeenMs: number;
  /** The server process's resident memory before the replicas attached, and with them attached. */
  rssBefore: number;
  rssAfter: number;
}

/**
 * Starts a memory server in its own process, attaches `count` replicas (one connection each, all in
 * this process), writes one change and times its arrival at every replica. Closes everything.
 */
export async function measureFanOut(count: number): Promise<FanOut> {
  const server = await startServerProcess(['--store', 'memory', '--max-connections-per-ip', String(count + 100)]);
  const writer = new ThriftRPCFeatureFlagStore({ port: server.port });
  const replicas: ThriftReplicaFeatureFlagStore[] = [];
  try {
    await writer.create('fan-out');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const rssBefore = residentBytes(server.child.pid!);
    const attachStart = Date.now();
    for (let i = 0; i < count; i++) {
      replicas.push(new ThriftReplicaFeatureFlagStore({ port: server.port }, { logger: quietLogger, timeout: 20_000 }));
    }
    const statuses = await Promise.all(replicas.map((r) => r.ready({ timeout: 30_000 })));
    const attachMs = Date.now() - attachStart;
    const notFresh = statuses.filter((s) => s !== 'fresh').length;
    if (notFresh > 0) throw new Error(`${notFresh} of ${count} replicas did not get a snapshot`);
    // Let every replica's long poll reach the server.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const rssAfter = residentBytes(server.child.pid!);
    let seen = 0;
    let allSeenAt = 0;
    const all = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${seen} of ${count} replicas saw the change in 30 s`)),
        30_000,
      );
      for (const replica of replicas) {
        replica.events.once('changed', () => {
          if (++seen === count) {
            allSeenAt = Date.now();
            clearTimeout(timer);
            resolve();
          }
        });
      }
    });
    const sent = Date.now();
    await writer.set('fan-out', true);
    await all;
    return { replicas: count, attachMs, allSeenMs: allSeenAt - sent, rssBefore, rssAfter };
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
    await writer.close();
    await server.stop();
  }
}
