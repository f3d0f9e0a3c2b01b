import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '../shared';
import { validateWireOptions, type ProtocolName, type TransportName } from '../shared/thrift/wire';
import { SERVER_DEFAULTS } from './flag-server';
import { BearerToken } from './http/auth/bearer-token';
import { CLIENT_AUTH_MODES, TLS_DEFAULTS, TLS_VERSIONS, type FlagServerTlsOptions } from './security/tls-files';
import { DEFAULT_STORE_TIMEOUT_MS } from './store-url';
import { isLoopbackName } from './http/auth/request-origin';
import { DEFAULT_HISTORY_RETENTION, type HistoryRetention } from '../shared/model/history';

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
  /** TLS on the listeners, when --tls-cert and --tls-key are given. */
  tls?: FlagServerTlsOptions;
  /** --authz: the access policy file. */
  authzFile?: string;
  /** --read-only: the main listener refuses writes. */
  readOnly: boolean;
  /** --admin-port (and --admin-host): a second listener that takes writes. */
  admin?: { host: string; port: number };
  storeTimeoutMs: number;
  maxFlagBytes: number;
  listPageSize: number;
  /** Change feed: full resync interval where the backend gives no change signal. */
  resyncIntervalMs: number;
  /** History: entries kept per flag (0: no history), and the age after which they are dropped. */
  historyRetention: HistoryRetention;
  /** HTTP listener for probes and /metrics; undefined: none. */
  httpPort?: number;
  httpHost: string;
  /** A port of its own for /metrics; undefined: /metrics is on the HTTP port. */
  metricsPort?: number;
  readyTimeoutMs: number;
  /** The web console may change flags (`--http-writes`); beyond loopback only with a token. */
  httpWrites: boolean;
  /** `--http-token-file` or `FLIPPER_HTTP_TOKEN`: the console needs a login with this token. */
  httpToken?: BearerToken;
  /** `--http-token-file`: read again on SIGHUP. */
  httpTokenFile?: string;
  /** `--metrics-auth`: /metrics and the probes need `Authorization: Bearer` with the token. */
  metricsAuth: boolean;
  help: boolean;
  /** `--version`: print the package's version and exit. */
  version: boolean;
}

interface OptionSpec {
  flag: string;
  env: string;
  value: string;
  fallback: string | undefined;
  doc: string;
  /** A flag without a value (`--read-only`); its variable takes true/false/1/0. */
  boolean?: true;
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
  {
    flag: 'history-limit',
    env: 'FLIPPER_HISTORY_LIMIT',
    value: 'ENTRIES',
    fallback: String(DEFAULT_HISTORY_RETENTION.maxEntriesPerFlag),
    doc: 'history: changes kept per flag, newest first (0: keep no history; History and Rollback then fail)',
  },
  {
    flag: 'history-max-age',
    env: 'FLIPPER_HISTORY_MAX_AGE',
    value: 'DAYS',
    fallback: String(DEFAULT_HISTORY_RETENTION.maxAgeMs / 86_400_000),
    doc: "history: changes older than this are dropped (a flag's newest change is always kept)",
  },
  {
    flag: 'tls-cert',
    env: 'FLIPPER_TLS_CERT',
    value: 'FILE',
    fallback: undefined,
    doc: 'serve TLS with this certificate (PEM; with --tls-key); re-read on SIGHUP',
  },
  {
    flag: 'tls-key',
    env: 'FLIPPER_TLS_KEY',
    value: 'FILE',
    fallback: undefined,
    doc: 'private key of --tls-cert (PEM)',
  },
  {
    flag: 'tls-ca',
    env: 'FLIPPER_TLS_CA',
    value: 'FILE',
    fallback: undefined,
    doc: 'CA certificate(s) that client certificates must chain to (PEM)',
  },
  {
    flag: 'tls-min-version',
    env: 'FLIPPER_TLS_MIN_VERSION',
    value: TLS_VERSIONS.join('|'),
    fallback: TLS_DEFAULTS.minVersion,
    doc: 'oldest TLS version accepted',
  },
  {
    flag: 'tls-client-auth',
    env: 'FLIPPER_TLS_CLIENT_AUTH',
    value: CLIENT_AUTH_MODES.join('|'),
    fallback: TLS_DEFAULTS.clientAuth,
    doc: 'client certificates: not asked, optional (invalid ones refused), or required',
  },
  {
    flag: 'tls-handshake-timeout',
    env: 'FLIPPER_TLS_HANDSHAKE_TIMEOUT',
    value: 'SECONDS',
    fallback: String(TLS_DEFAULTS.handshakeTimeoutMs / 1000),
    doc: 'disconnect a client that has not finished the TLS handshake by then',
  },
  {
    flag: 'authz',
    env: 'FLIPPER_AUTHZ',
    value: 'FILE',
    fallback: undefined,
    doc: 'JSON policy: which certificate identities may write (all flags or by prefix), which may read; re-read on SIGHUP',
  },
  {
    flag: 'read-only',
    env: 'FLIPPER_READ_ONLY',
    value: '',
    fallback: undefined,
    doc: 'the main listener refuses writes (PERMISSION_DENIED); writers use --admin-port',
    boolean: true,
  },
  {
    flag: 'admin-port',
    env: 'FLIPPER_ADMIN_PORT',
    value: 'PORT',
    fallback: undefined,
    doc: 'a second listener that takes writes (0: any free port)',
  },
  {
    flag: 'admin-host',
    env: 'FLIPPER_ADMIN_HOST',
    value: 'HOST',
    fallback: SERVER_DEFAULTS.host,
    doc: 'interface of the --admin-port listener',
  },
  {
    flag: 'http-port',
    env: 'FLIPPER_HTTP_PORT',
    value: 'PORT',
    fallback: undefined,
    doc: 'HTTP port for /healthz, /readyz and /metrics (default: no HTTP listener)',
  },
  {
    flag: 'http-host',
    env: 'FLIPPER_HTTP_HOST',
    value: 'HOST',
    fallback: '127.0.0.1',
    doc: 'interface the HTTP listeners bind to',
  },
  {
    flag: 'metrics-port',
    env: 'FLIPPER_METRICS_PORT',
    value: 'PORT',
    fallback: undefined,
    doc: 'a port of its own for /metrics (and the probes); default: /metrics on --http-port',
  },
  {
    flag: 'http-token-file',
    env: 'FLIPPER_HTTP_TOKEN_FILE',
    value: 'FILE',
    fallback: undefined,
    doc: 'the console needs a login with the token in FILE (or the token itself in env FLIPPER_HTTP_TOKEN); lets --http-writes serve beyond loopback; re-read on SIGHUP',
  },
  {
    flag: 'metrics-auth',
    env: 'FLIPPER_METRICS_AUTH',
    value: '',
    fallback: undefined,
    doc: '/metrics and the probes need Authorization: Bearer <the HTTP token>',
    boolean: true,
  },
  {
    flag: 'ready-timeout',
    env: 'FLIPPER_READY_TIMEOUT',
    value: 'SECONDS',
    fallback: '1',
    doc: '/readyz answers 503 when the store takes longer than this',
  },
];

/** `flipper-server --help`. */
export function helpText(): string {
  const rows = OPTIONS.map((o) => {
    const left = o.boolean ? `  --${o.flag}` : `  --${o.flag} ${o.value}`;
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
    `  ${'--http-writes'.padEnd(33)}let the web console change flags (on loopback, or anywhere with a login token)`,
    `${' '.repeat(35)}env FLIPPER_HTTP_WRITES=1`,
    `  ${'--help'.padEnd(33)}this text`,
    `  ${'--version'.padEnd(33)}the version of flipper-server (the flipper-client package)`,
    '',
    'Logs are JSON lines (pino) on stdout. SIGTERM or SIGINT: stop accepting, close idle connections,',
    'finish calls in flight, close the store, exit 0. SIGHUP: read the --tls-*, --authz and --http-token-file files again',
    '(open connections are kept).',
    '',
  ].join('\n');
}

/**
 * Reads flags, then environment variables, then defaults. Throws `InvalidArgumentError` naming a
 * bad value by where it came from: `--port` for a flag, `FLIPPER_PORT` for the variable.
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  try {
    return parseFlagsAndEnv(argv, env);
  } catch (error) {
    const flag = error instanceof InvalidArgumentError ? /^--([a-z-]+)/.exec(error.message)?.[1] : undefined;
    const spec = OPTIONS.find((o) => o.flag === flag);
    const given = argv.some((arg) => arg === `--${flag}` || arg.startsWith(`--${flag}=`));
    if (!spec || given || !env[spec.env]) throw error;
    throw new InvalidArgumentError(`${spec.env}${(error as Error).message.slice(`--${flag}`.length)}`);
  }
}

/** The package's version, from its package.json (shipped in every install). */
export function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- dist/server/ is two folders below the package root
  return (require('../../package.json') as { version: string }).version;
}

function parseFlagsAndEnv(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  const parsed = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      'http-writes': { type: 'boolean' },
      ...Object.fromEntries(
        OPTIONS.map((o) => [o.flag, { type: o.boolean ? ('boolean' as const) : ('string' as const) }]),
      ),
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
  const httpWrites = parsed['http-writes'] === true || /^(1|true|yes)$/i.test(env.FLIPPER_HTTP_WRITES ?? '');
  const httpToken = httpTokenFrom(get('http-token-file'), env.FLIPPER_HTTP_TOKEN);
  if (httpWrites && httpToken === undefined && !isLoopbackName(get('http-host')!)) {
    // Without a login, changing flags over HTTP stays on this machine.
    throw new InvalidArgumentError(
      '--http-writes needs --http-host on loopback (127.0.0.1, ::1 or localhost), or a login token (--http-token-file)',
    );
  }
  const metricsAuth = parsed['metrics-auth'] === true || flagFromEnv(env.FLIPPER_METRICS_AUTH, 'FLIPPER_METRICS_AUTH');
  if (metricsAuth && httpToken === undefined) {
    throw new InvalidArgumentError('--metrics-auth needs the HTTP token (--http-token-file or FLIPPER_HTTP_TOKEN)');
  }
  return {
    httpWrites,
    httpToken,
    httpTokenFile: get('http-token-file'),
    metricsAuth,
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
    ...securityOptions(get, parsed['read-only'] === true || flagFromEnv(env.FLIPPER_READ_ONLY, 'FLIPPER_READ_ONLY')),
    storeTimeoutMs: integer(get('store-timeout')!, 'store-timeout', 1, 2 ** 31 - 1),
    maxFlagBytes: integer(get('max-flag-bytes')!, 'max-flag-bytes', 1024, 2 ** 31 - 1),
    listPageSize: integer(get('list-page-size')!, 'list-page-size', 1, 1_000_000),
    resyncIntervalMs: seconds(get('resync-interval')!, 'resync-interval'),
    historyRetention: {
      maxEntriesPerFlag: integer(get('history-limit')!, 'history-limit', 0, 10_000_000),
      maxAgeMs: Math.round(positiveNumber(get('history-max-age')!, 'history-max-age') * 86_400_000),
    },
    httpPort: optionalPort(get('http-port'), 'http-port'),
    httpHost: get('http-host')!,
    metricsPort: optionalPort(get('metrics-port'), 'metrics-port'),
    readyTimeoutMs: seconds(get('ready-timeout')!, 'ready-timeout'),
    help: parsed.help === true,
    version: parsed.version === true,
  };
}

/** The TLS, policy and listener options, checked together (a CA without a certificate is a mistake). */
function securityOptions(
  get: (flag: string) => string | undefined,
  readOnly: boolean,
): Pick<CliOptions, 'tls' | 'authzFile' | 'readOnly' | 'admin'> {
  const cert = get('tls-cert');
  const key = get('tls-key');
  const clientAuth = get('tls-client-auth')!;
  const minVersion = get('tls-min-version')!;
  if ((cert === undefined) !== (key === undefined)) {
    throw new InvalidArgumentError('--tls-cert and --tls-key go together: give both, or neither for plain text');
  }
  if (!(CLIENT_AUTH_MODES as readonly string[]).includes(clientAuth)) {
    throw new InvalidArgumentError(
      `--tls-client-auth must be one of ${CLIENT_AUTH_MODES.join(', ')}, got ${JSON.stringify(clientAuth)}`,
    );
  }
  if (!(TLS_VERSIONS as readonly string[]).includes(minVersion)) {
    throw new InvalidArgumentError(
      `--tls-min-version must be one of ${TLS_VERSIONS.join(', ')}, got ${JSON.stringify(minVersion)}`,
    );
  }
  const ca = get('tls-ca');
  let tls: FlagServerTlsOptions | undefined;
  if (cert !== undefined && key !== undefined) {
    if (clientAuth !== 'none' && ca === undefined) {
      throw new InvalidArgumentError(
        `--tls-client-auth ${clientAuth} needs --tls-ca, the CA that issues client certificates`,
      );
    }
    tls = {
      certFile: cert,
      keyFile: key,
      caFile: ca,
      minVersion: minVersion as FlagServerTlsOptions['minVersion'],
      clientAuth: clientAuth as FlagServerTlsOptions['clientAuth'],
      handshakeTimeoutMs: seconds(get('tls-handshake-timeout')!, 'tls-handshake-timeout'),
    };
  } else if (ca !== undefined || clientAuth !== 'none') {
    throw new InvalidArgumentError('--tls-ca and --tls-client-auth need TLS: give --tls-cert and --tls-key');
  }
  const adminPort = get('admin-port');
  const admin =
    adminPort === undefined
      ? undefined
      : { host: get('admin-host')!, port: integer(adminPort, 'admin-port', 0, 65535) };
  return { tls, authzFile: get('authz'), readOnly, admin };
}

/** The token from its file, or from `FLIPPER_HTTP_TOKEN` (never a flag: a command line is visible to every user). */
function httpTokenFrom(file: string | undefined, value: string | undefined): BearerToken | undefined {
  if (file !== undefined && value !== undefined && value !== '') {
    throw new InvalidArgumentError('--http-token-file and FLIPPER_HTTP_TOKEN both give the HTTP token: give one');
  }
  if (file !== undefined) return BearerToken.fromFile(file);
  if (value === undefined || value === '') return undefined;
  try {
    return new BearerToken(value);
  } catch (error) {
    throw new InvalidArgumentError(`FLIPPER_HTTP_TOKEN: ${(error as Error).message}`);
  }
}

function flagFromEnv(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new InvalidArgumentError(`${name} must be true, false, 1 or 0, got ${JSON.stringify(value)}`);
}

function integer(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new InvalidArgumentError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

function optionalPort(text: string | undefined, name: string): number | undefined {
  return text === undefined ? undefined : integer(text, name, 0, 65535);
}

function positiveNumber(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n <= 0) {
    throw new InvalidArgumentError(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
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
