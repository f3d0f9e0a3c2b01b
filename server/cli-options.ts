import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '../shared';
import { validateWireOptions, type ProtocolName, type TransportName } from '../shared/thrift/wire';
import { SERVER_DEFAULTS } from './flag-server';
import { DEFAULT_STORE_TIMEOUT_MS } from './store-url';

/** What `flipper-server` runs with, after flags, environment variables and defaults. */
export interface CliOptions {
  host: string;
  port: number;
  store: string;
  baseKey?: string;
  transport: TransportName;
  protocol: ProtocolName;
  logLevel: string;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  maxPendingBytes: number;
  shutdownTimeoutMs: number;
  storeTimeoutMs: number;
  maxFlagBytes: number;
  listPageSize: number;
  /** Change feed: full resync interval where the backend gives no change signal. */
  resyncIntervalMs: number;
  help: boolean;
}

interface OptionSpec {
  flag: string;
  env: string;
  value: string;
  fallback: string | undefined;
  doc: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Every option: its flag, environment variable, default and help line. */
const OPTIONS: readonly OptionSpec[] = [
  { flag: 'host', env: 'FLIPPER_HOST', value: 'HOST', fallback: SERVER_DEFAULTS.host, doc: 'interface to listen on' },
  {
    flag: 'port',
    env: 'FLIPPER_PORT',
    value: 'PORT',
    fallback: String(SERVER_DEFAULTS.port),
    doc: 'TCP port (0: any free port)',
  },
  {
    flag: 'store',
    env: 'FLIPPER_STORE',
    value: 'STORE',
    fallback: 'sqlite:./data/flags.db',
    doc: 'memory | sqlite:<file> | redis://[:password@]host:port/db | postgres://user[:password]@host:port/db',
  },
  {
    flag: 'base-key',
    env: 'FLIPPER_BASE_KEY',
    value: 'KEY',
    fallback: undefined,
    doc: 'Redis key prefix (default features); table name for sqlite and postgres (default feature_flags)',
  },
  {
    flag: 'transport',
    env: 'FLIPPER_TRANSPORT',
    value: 'buffered|framed',
    fallback: SERVER_DEFAULTS.transport,
    doc: 'Thrift transport',
  },
  {
    flag: 'protocol',
    env: 'FLIPPER_PROTOCOL',
    value: 'binary|compact',
    fallback: SERVER_DEFAULTS.protocol,
    doc: 'Thrift protocol',
  },
  { flag: 'log-level', env: 'FLIPPER_LOG_LEVEL', value: 'LEVEL', fallback: 'info', doc: LOG_LEVELS.join(' | ') },
  {
    flag: 'max-message-bytes',
    env: 'FLIPPER_MAX_MESSAGE_BYTES',
    value: 'BYTES',
    fallback: String(SERVER_DEFAULTS.maxMessageBytes),
    doc: 'largest call accepted; a larger one closes its connection',
  },
  {
    flag: 'idle-timeout',
    env: 'FLIPPER_IDLE_TIMEOUT',
    value: 'SECONDS',
    fallback: String(SERVER_DEFAULTS.idleTimeoutMs / 1000),
    doc: 'close connections idle this long, or this slow to send one call',
  },
  {
    flag: 'max-connections',
    env: 'FLIPPER_MAX_CONNECTIONS',
    value: 'N',
    fallback: String(SERVER_DEFAULTS.maxConnections),
    doc: 'connections served at once; more are closed on arrival',
  },
  {
    flag: 'max-connections-per-ip',
    env: 'FLIPPER_MAX_CONNECTIONS_PER_IP',
    value: 'N',
    fallback: String(SERVER_DEFAULTS.maxConnectionsPerIp),
    doc: 'connections served at once from one client address; more from it are closed on arrival',
  },
  {
    flag: 'max-pending-bytes',
    env: 'FLIPPER_MAX_PENDING_BYTES',
    value: 'BYTES',
    fallback: String(SERVER_DEFAULTS.maxPendingBytes),
    doc: 'unsent reply bytes per connection before the server stops reading its calls',
  },
  {
    flag: 'max-flag-bytes',
    env: 'FLIPPER_MAX_FLAG_BYTES',
    value: 'BYTES',
    fallback: String(SERVER_DEFAULTS.maxFlagBytes),
    doc: 'largest flag (its stored JSON) a write may leave; larger is INVALID_ARGUMENT',
  },
  {
    flag: 'list-page-size',
    env: 'FLIPPER_LIST_PAGE_SIZE',
    value: 'N',
    fallback: String(SERVER_DEFAULTS.listPageSize),
    doc: 'flags in one ListPage reply at most (List still returns all it is asked for)',
  },
  {
    flag: 'shutdown-timeout',
    env: 'FLIPPER_SHUTDOWN_TIMEOUT',
    value: 'SECONDS',
    fallback: String(SERVER_DEFAULTS.shutdownTimeoutMs / 1000),
    doc: 'on SIGTERM/SIGINT, how long calls in flight may take',
  },
  {
    flag: 'store-timeout',
    env: 'FLIPPER_STORE_TIMEOUT',
    value: 'MS',
    fallback: String(DEFAULT_STORE_TIMEOUT_MS),
    doc: 'deadline of each backend call (Redis command, PostgreSQL query, SQLite lock wait)',
  },
  {
    flag: 'resync-interval',
    env: 'FLIPPER_RESYNC_INTERVAL',
    value: 'SECONDS',
    fallback: '30',
    doc: 'change feed: how often to compare every flag when the backend gives no change signal (Redis without keyspace notifications, PostgreSQL without the trigger)',
  },
];

/** `flipper-server --help`. */
export function helpText(): string {
  const rows = OPTIONS.map((o) => {
    const left = `  --${o.flag} ${o.value}`;
    const fallback = o.fallback === undefined ? '' : ` (default ${o.fallback})`;
    return `${left.padEnd(34)} ${o.doc}${fallback}\n${' '.repeat(35)}env ${o.env}`;
  });
  return [
    'Usage: flipper-server [options]',
    '',
    'Serves feature flags over Thrift (the FeatureFlagStore service of the Python flipper-client).',
    'Each option may also be given as its environment variable; a flag wins over the variable.',
    '',
    ...rows,
    `  ${'--help'.padEnd(33)}this text`,
    '',
    'Logs are JSON lines (pino) on stdout. SIGTERM or SIGINT: stop accepting, close idle connections,',
    'finish calls in flight, close the store, exit 0.',
    '',
  ].join('\n');
}

/** Reads flags, then environment variables, then defaults. Throws `InvalidArgumentError` naming a bad value. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  const parsed = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: 'string' as const }])),
    },
  }).values as Record<string, string | boolean | undefined>;
  const get = (flag: string): string | undefined => {
    const spec = OPTIONS.find((o) => o.flag === flag)!;
    const value = parsed[flag] ?? env[spec.env];
    return typeof value === 'string' && value !== '' ? value : spec.fallback;
  };
  const { transport, protocol } = validateWireOptions(get('transport'), get('protocol'), '--');
  const logLevel = get('log-level')!;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new InvalidArgumentError(
      `--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  }
  return {
    host: get('host')!,
    port: integer(get('port')!, 'port', 0, 65535),
    store: get('store')!,
    baseKey: get('base-key'),
    transport,
    protocol,
    logLevel,
    maxMessageBytes: integer(get('max-message-bytes')!, 'max-message-bytes', 64, 2 ** 31 - 1),
    idleTimeoutMs: seconds(get('idle-timeout')!, 'idle-timeout'),
    maxConnections: integer(get('max-connections')!, 'max-connections', 1, 10_000_000),
    maxConnectionsPerIp: integer(get('max-connections-per-ip')!, 'max-connections-per-ip', 1, 10_000_000),
    maxPendingBytes: integer(get('max-pending-bytes')!, 'max-pending-bytes', 1024, 2 ** 40),
    shutdownTimeoutMs: seconds(get('shutdown-timeout')!, 'shutdown-timeout'),
    storeTimeoutMs: integer(get('store-timeout')!, 'store-timeout', 1, 2 ** 31 - 1),
    maxFlagBytes: integer(get('max-flag-bytes')!, 'max-flag-bytes', 1024, 2 ** 31 - 1),
    listPageSize: integer(get('list-page-size')!, 'list-page-size', 1, 1_000_000),
    resyncIntervalMs: seconds(get('resync-interval')!, 'resync-interval'),
    help: parsed.help === true,
  };
}

function integer(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new InvalidArgumentError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

function seconds(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n <= 0) {
    throw new InvalidArgumentError(`--${name} must be a positive number of seconds, got ${JSON.stringify(text)}`);
  }
  return Math.round(n * 1000);
}
