import { readFileSync } from 'node:fs';
import type { FeatureFlagStore } from '../../client';
import { MemoryFeatureFlagStore } from '../../client/stores/memory-store';
import { ThriftRPCFeatureFlagStore, type ThriftRPCStoreOptions } from '../../client/stores/thrift-rpc-store';
import type { FlipperLogger } from '../../client/logger';
import { FlagServer, type FlagServerOptions, type FlagServerTlsOptions } from '../../server/flag-server';
import type { CertFiles, TestCertificates } from './certificates';
import { quietLogger } from './rpc-served';

/** The `tls` option of an RPC store trusting the test CA, presenting `who` when given. */
export function clientTls(certs: TestCertificates, who?: CertFiles) {
  return {
    ca: readFileSync(certs.ca),
    ...(who ? { cert: readFileSync(who.cert), key: readFileSync(who.key) } : {}),
  };
}

/** An in-process TLS flag server on an ephemeral loopback port. */
export async function tlsServer(
  certs: TestCertificates,
  options: Partial<Omit<FlagServerOptions, 'store' | 'tls' | 'logger'>> & {
    store?: FeatureFlagStore;
    logger?: FlipperLogger;
    tls?: Partial<FlagServerTlsOptions>;
  } = {},
): Promise<{ server: FlagServer; port: number; store: FeatureFlagStore }> {
  const store = options.store ?? new MemoryFeatureFlagStore();
  const server = new FlagServer({
    port: 0,
    logger: quietLogger,
    ...options,
    store,
    tls: { certFile: certs.server.cert, keyFile: certs.server.key, caFile: certs.ca, ...options.tls },
  });
  const { port } = await server.listen();
  return { server, port, store };
}

/** An RPC store over TLS to `port` (short deadline, no reconnect wait: refusals are expected). */
export function tlsClient(
  port: number,
  certs: TestCertificates,
  who?: CertFiles,
  options: ThriftRPCStoreOptions = {},
): ThriftRPCFeatureFlagStore {
  return new ThriftRPCFeatureFlagStore(
    { port, tls: clientTls(certs, who) },
    { timeout: 3000, reconnect: { initialDelayMs: 1, maxDelayMs: 1 }, ...options },
  );
}
