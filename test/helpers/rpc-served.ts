import pino from 'pino';
import type { FeatureFlagStore } from '../../client';
import { ThriftRPCFeatureFlagStore, type ThriftRPCStoreOptions } from '../../client/stores/thrift-rpc-store';
import type { FlipperLogger } from '../../client/logger';
import { FlagServer, type FlagServerOptions } from '../../server/flag-server';
import type { ProtocolName, TransportName } from '../../shared/thrift/wire';

/** A logger that keeps nothing: servers in tests log bad input on purpose. */
export const quietLogger: FlipperLogger = pino({ level: 'silent' });

/** An in-process flag server over `backend`, and an RPC store talking to it. */
export interface Served {
  backend: FeatureFlagStore;
  server: FlagServer;
  port: number;
  rpc: ThriftRPCFeatureFlagStore;
  /** Closes the RPC store, the server and the backend. */
  close(): Promise<void>;
}

export interface ServeOptions {
  transport?: TransportName;
  protocol?: ProtocolName;
  server?: Partial<Omit<FlagServerOptions, 'store'>>;
  client?: ThriftRPCStoreOptions;
  /** Also close the backend on close(). Default true. */
  closeBackend?: boolean;
}

/** Serves `backend` on an ephemeral port and connects an RPC store to it. */
export async function serve(backend: FeatureFlagStore, options: ServeOptions = {}): Promise<Served> {
  const transport = options.transport ?? 'buffered';
  const protocol = options.protocol ?? 'binary';
  const server = new FlagServer({
    store: backend,
    port: 0,
    transport,
    protocol,
    logger: quietLogger,
    ...options.server,
  });
  const { port } = await server.listen();
  const rpc = new ThriftRPCFeatureFlagStore({ port, transport, protocol }, options.client);
  return {
    backend,
    server,
    port,
    rpc,
    close: async () => {
      await rpc.close();
      await server.close();
      if (options.closeBackend !== false) await backend.close?.();
    },
  };
}
