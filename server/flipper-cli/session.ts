import { FeatureFlagClient } from '../../client/client';
import {
  ThriftRPCFeatureFlagStore,
  THRIFT_RPC_DEFAULTS,
  type ThriftRPCConnectionOptions,
} from '../../client/stores/thrift-rpc-store';
import { ConnectionError, FlagDoesNotExistError, TimeoutError, type FeatureFlagStoreItem } from '../../shared';
import type { FlipperLogger } from '../../shared/logger';
import { validateWireOptions } from '../../shared/thrift/wire/wire-options';
import { UsageError } from './errors';
import { tlsFromArgs, type TlsArgs } from './tls-files';

/** The options every command takes: where the server is and how to talk to it. */
export interface GlobalOptions extends TlsArgs {
  server?: string;
  transport?: string;
  protocol?: string;
  timeout?: string;
  json?: boolean;
}

/** A connection to one flag server, for one command. */
export interface Session {
  client: FeatureFlagClient;
  store: ThriftRPCFeatureFlagStore;
  target: ServerTarget;
  close(): Promise<void>;
}

/** The CLI says what matters on stderr itself; the library's logs would repeat it. */
export const QUIET: FlipperLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** `host:port`, `[::1]:9090` or `host` (port 9090). */
export function parseServer(text: string): { host: string; port: number } {
  const match = text.match(/^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/);
  const port = match?.[3] === undefined ? THRIFT_RPC_DEFAULTS.port : Number(match[3]);
  if (!match || port < 1 || port > 65535) {
    throw new UsageError(`--server must be host:port, like 127.0.0.1:9090, got ${JSON.stringify(text)}`);
  }
  return { host: match[1] ?? match[2], port };
}

/** How to reach the server the options name: `--server` (else `$FLIPPER_SERVER`, else 127.0.0.1:9090), wire, TLS, deadline. */
export interface ServerTarget {
  address: string;
  connection: ThriftRPCConnectionOptions;
  /** Deadline of each call, in ms. */
  timeout: number;
}

export function serverTarget(options: GlobalOptions, env: NodeJS.ProcessEnv): ServerTarget {
  const address = options.server ?? env.FLIPPER_SERVER ?? `${THRIFT_RPC_DEFAULTS.host}:${THRIFT_RPC_DEFAULTS.port}`;
  const { host, port } = parseServer(address);
  let wire;
  try {
    wire = validateWireOptions(
      options.transport ?? env.FLIPPER_TRANSPORT ?? THRIFT_RPC_DEFAULTS.transport,
      options.protocol ?? env.FLIPPER_PROTOCOL ?? THRIFT_RPC_DEFAULTS.protocol,
      '--',
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const seconds = Number(options.timeout ?? '5');
  if (!(seconds > 0 && seconds <= 3600)) throw new UsageError(`--timeout must be seconds from 0 to 3600`);
  const tls = tlsFromArgs(options, env);
  return {
    address,
    connection: { host, port, ...wire, ...(tls !== undefined && { tls }) },
    timeout: Math.round(seconds * 1000),
  };
}

/** Opens the store and client the options name. */
export function openSession(options: GlobalOptions, env: NodeJS.ProcessEnv): Session {
  const target = serverTarget(options, env);
  const store = new ThriftRPCFeatureFlagStore(target.connection, { timeout: target.timeout, logger: QUIET });
  const client = new FeatureFlagClient(store, { logger: QUIET });
  return { client, store, target, close: () => store.close() };
}

/** A server that cannot be reached, said in terms of the command line (with TLS or without). */
export function explainReach(error: unknown, target: ServerTarget): unknown {
  if (error instanceof ConnectionError || error instanceof TimeoutError) {
    const hint =
      target.connection.tls === undefined
        ? 'is flipper-server running there? --server or FLIPPER_SERVER names it; a TLS server needs --tls-ca'
        : 'is flipper-server serving TLS there? --server names it; --tls-ca, --tls-cert and --tls-key the certificates';
    return new Error(`${error.message} (${hint})`);
  }
  return error;
}

/** The flag, or `FlagDoesNotExistError` (exit 3). */
export async function mustGet(session: Session, name: string): Promise<FeatureFlagStoreItem> {
  const item = await session.store.get(name);
  if (item === undefined) throw new FlagDoesNotExistError(name);
  return item;
}

const PAGE = 500;

/** Every flag, in name order, a page at a time (a server may cap one reply). */
export async function allFlags(session: Session): Promise<FeatureFlagStoreItem[]> {
  const items: FeatureFlagStoreItem[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await session.store.list({ limit: PAGE, offset });
    items.push(...page);
    if (page.length < PAGE) return items;
  }
}
