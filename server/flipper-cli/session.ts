import { FeatureFlagClient } from '../../client/client';
import { ThriftRPCFeatureFlagStore, THRIFT_RPC_DEFAULTS } from '../../client/stores/thrift-rpc-store';
import { ConnectionError, FlagDoesNotExistError, TimeoutError, type FeatureFlagStoreItem } from '../../shared';
import type { FlipperLogger } from '../../shared/logger';
import { validateWireOptions } from '../../shared/thrift/wire/wire-options';
import { UsageError } from './errors';

/** The options every command takes: where the server is and how to talk to it. */
export interface GlobalOptions {
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
  address: string;
  close(): Promise<void>;
}

const quiet: FlipperLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** `host:port`, `[::1]:9090` or `host` (port 9090). */
export function parseServer(text: string): { host: string; port: number } {
  const match = text.match(/^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/);
  const port = match?.[3] === undefined ? THRIFT_RPC_DEFAULTS.port : Number(match[3]);
  if (!match || port < 1 || port > 65535) {
    throw new UsageError(`--server must be host:port, like 127.0.0.1:9090, got ${JSON.stringify(text)}`);
  }
  return { host: match[1] ?? match[2], port };
}

/** Opens the store and client the options name (`--server`, else `$FLIPPER_SERVER`, else 127.0.0.1:9090). */
export function openSession(options: GlobalOptions, env: NodeJS.ProcessEnv): Session {
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
  const store = new ThriftRPCFeatureFlagStore(
    { host, port, ...wire },
    { timeout: Math.round(seconds * 1000), logger: quiet },
  );
  const client = new FeatureFlagClient(store, { logger: quiet });
  return { client, store, address, close: () => store.close() };
}

/** A server that cannot be reached, said in terms of the command line. */
export function explainReach(error: unknown): unknown {
  if (error instanceof ConnectionError || error instanceof TimeoutError) {
    return new Error(`${error.message} (is flipper-server running there? --server or FLIPPER_SERVER names it)`);
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
