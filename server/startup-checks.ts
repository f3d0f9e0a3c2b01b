import { createServer } from 'node:net';
import type { FeatureFlagStore } from '../client/stores/feature-flag-store';

/** A name no flag has: reading it is a call through the store's own path (deadline, reachability log). */
const PROBE_FLAG = 'flipper-server: startup check';

/**
 * Binds the port and lets it go, so a port in use (or not ours to take) is found before the store
 * is opened. The real listen may still lose a race for the port; it then fails the same way.
 */
export async function checkPort(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(new Error(listenFailure(host, port, error))));
    probe.listen({ host, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** Why listening failed, in words: the usual causes named, the code kept. */
export function listenFailure(host: string, port: number, error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') return `cannot listen on ${where}: the port is in use (EADDRINUSE)`;
  if (code === 'EACCES') return `cannot listen on ${where}: permission denied (EACCES)`;
  if (code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: no such address on this machine (EADDRNOTAVAIL)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot listen on ${where}: unknown host (${String(code)})`;
  return `cannot listen on ${where}: ${(error as Error)?.message ?? String(error)}`;
}

/** True when the store answers one read; otherwise the words of its error. */
export async function checkStoreReachable(store: FeatureFlagStore): Promise<true | string> {
  try {
    await store.get(PROBE_FLAG);
    return true;
  } catch (error) {
    return (error as Error)?.message ?? String(error);
  }
}
