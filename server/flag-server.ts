import { BlockList, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { FeatureFlagStore } from '../client/stores/feature-flag-store';
import { StateChangeLog } from '../client/calls/state-change-log';
import type { FlipperLogger } from '../shared/logger';
import {
  protocolClasses,
  validateWireOptions,
  type ProtocolClasses,
  type ProtocolName,
  type TransportName,
} from '../shared/thrift/wire';
import {
  DEFAULT_LIST_PAGE_SIZE,
  DEFAULT_MAX_CALL_BYTES,
  DEFAULT_MAX_FLAG_BYTES,
  InvalidArgumentError,
} from '../shared';
import { withStreamedLists } from './list-processor';
import type { Processor } from '../shared/thrift/processor';
import { ServerConnection, type ConnectionSettings } from './connection';
import { withFastGet } from '../shared/thrift/replies/fast-get';
import { FeatureFlagStoreHandler } from './handler';
import { ChangeFeed } from './feed/change-feed';
import type { HistoryLog } from './history/history-log';
import type { ChangeLog } from './feed/change-log';
import { LocalChangeLog } from './feed/local-change-log';
import { AccessPolicy, FULL_ACCESS, READ_ONLY, type Access } from './security/access-policy';
import { withAuthorization } from './security/authorizing-processor';
import { Caller, type ListenerRole } from './security/caller';
import { KeyedRateLog } from './security/keyed-rate-log';
import { identityOf, type PeerIdentity } from './security/peer-identity';
import { readTlsFiles, validateTlsOptions, type FlagServerTlsOptions } from './security/tls-files';

export type { FlagServerTlsOptions, ClientAuth } from './security/tls-files';

export interface FlagServerOptions {
  /** The store the server serves; the caller owns it and closes it. */
  store: FeatureFlagStore;
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 9090. */
  port?: number;
  /** `buffered` (what the Python README's client uses) or `framed`. Default `'buffered'`. */
  transport?: TransportName;
  /** `binary` or `compact`. Default `'binary'`. */
  protocol?: ProtocolName;
  /** Largest call accepted, in bytes; a larger one (or a length claiming more) closes the connection. Default 1 MiB. */
  maxMessageBytes?: number;
  /** A connection with nothing in flight and no bytes moving for this long is closed; so is one taking this long to send one call. Default 60000 ms. */
  idleTimeoutMs?: number;
  /** Connections served at once; more are closed as they arrive. Default 10000. */
  maxConnections?: number;
  /** Connections served at once from one client address; more from it are closed as they arrive. Default 256. */
  maxConnectionsPerIp?: number;
  /** Calls one connection may have in flight before the server stops reading from it. Default 256. */
  maxInFlightPerConnection?: number;
  /** Reply bytes one connection may have unsent (the peer not reading) before the server stops reading its calls. Default 8 MiB. */
  maxPendingBytes?: number;
  /** On `close()`, how long calls in flight may take before their connections are cut. Default 10000 ms. */
  shutdownTimeoutMs?: number;
  /**
   * Largest flag a write may leave, in bytes of its stored JSON; a larger one is refused with
   * INVALID_ARGUMENT. Give the store the same limit (its own default is 512 KiB). Default 512 KiB.
   */
  maxFlagBytes?: number;
  /** Flags in one `ListPage` reply at most (a caller may ask for fewer). Default 1000. */
  listPageSize?: number;
  /** TLS on every listener; the files are read again by `reload()` (SIGHUP). Default: plain text. */
  tls?: FlagServerTlsOptions;
  /**
   * A JSON policy file naming who may write and who may only read (see `AccessPolicy`), by client
   * certificate; read again by `reload()`. Default: none, every caller may do everything.
   */
  authzFile?: string;
  /** The main listener refuses every write with PERMISSION_DENIED (writers use the admin listener). Default false. */
  readOnly?: boolean;
  /** A second listener that takes writes (with `readOnly`), on loopback unless `host` says otherwise. */
  admin?: { host?: string; port: number };
  /** Where the server logs. */
  logger: FlipperLogger;
  /**
   * Versions and change signals of the store, for the change feed (`GetSnapshot`,
   * `WaitForChanges`); the caller owns it and closes it. Default: versions kept by this server,
   * seeing only its own writes.
   */
  changeLog?: ChangeLog;
  /**
   * Where every change is recorded (`History`, `Rollback`); the caller opens it (`open()`) and
   * closes it. Default: none, writes are not recorded and `History` fails.
   */
  history?: HistoryLog;
  /** Longest a `WaitForChanges` long poll waits. Default 60000 ms. */
  maxWaitMs?: number;
  /** Counts and times calls and store calls (the metrics of `server/http/`); none by default, at no cost. */
  instrumentation?: CallInstrumentation;
}

/** Wraps the service handler and the store to observe their calls (`ServerMetrics` is one). */
export interface CallInstrumentation {
  instrumentHandler<H extends object>(handler: H): H;
  instrumentStore<S extends FeatureFlagStore>(store: S): S;
  /** Where the number of change-feed long polls waiting now is read. */
  countWaitingPollers(source: () => number): void;
}

/** Addresses that only this machine can reach. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

export const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 9090,
  transport: 'buffered' as TransportName,
  protocol: 'binary' as ProtocolName,
  maxMessageBytes: DEFAULT_MAX_CALL_BYTES,
  idleTimeoutMs: 60_000,
  maxConnections: 10_000,
  maxConnectionsPerIp: 256,
  maxInFlightPerConnection: 256,
  maxPendingBytes: 8 * 1024 * 1024,
  shutdownTimeoutMs: 10_000,
  maxFlagBytes: DEFAULT_MAX_FLAG_BYTES,
  listPageSize: DEFAULT_LIST_PAGE_SIZE,
};

/**
 * The flag server: the FeatureFlagStore Thrift service over a store, on its own connection
 * handling (npm thrift 0.24's server bounds a message only by 100 MiB buffered / ~16 MB framed,
 * nothing per string or list, has no idle timeout or connection cap, and dies on a bad frame). Bad
 * bytes close only their connection; the process stays up.
 */
export class FlagServer {
  private readonly server: Server;
  private readonly connections = new Set<ServerConnection>();
  private readonly settings: ConnectionSettings;
  private readonly options: Required<
    Omit<
      FlagServerOptions,
      | 'store'
      | 'logger'
      | 'changeLog'
      | 'history'
      | 'maxWaitMs'
      | 'tls'
      | 'authzFile'
      | 'readOnly'
      | 'admin'
      | 'instrumentation'
    >
  >;
  /** The admin listener, when there is one. */
  private readonly adminServer: Server | undefined;
  private readonly adminListen: { host: string; port: number } | undefined;
  private readonly readOnly: boolean;
  private readonly tls: ReturnType<typeof validateTlsOptions> | undefined;
  /** One TLS server per listener, never listening itself: it is handed the TCP connections we accept. */
  private readonly tlsServers = new Map<ListenerRole, TlsServer>();
  /** TCP connections whose TLS handshake is under way, by `role|address|port`: cut at once by `close()`. */
  private readonly handshaking = new Map<string, Socket>();
  /** Raw TCP connections open (handshaking or served). */
  private openSockets = 0;
  private policy: AccessPolicy | undefined;
  private readonly authzFile: string | undefined;
  private readonly handler: FeatureFlagStoreHandler;
  /** Refused handshakes and certificates, once per address per minute. */
  private readonly refusedPeers: KeyedRateLog;
  /** Calls refused by the policy or a read-only listener, once per caller per minute. */
  private readonly refusedCalls: KeyedRateLog;
  /** Metrics' wrappers of the handler and the store, when metrics are on. */
  private readonly instrumentation: CallInstrumentation | undefined;
  private readonly logger: FlipperLogger;
  private sweeper: NodeJS.Timeout | undefined;
  /** Logs reaching the connection limit and getting below it, once per change. */
  private readonly capacity: StateChangeLog;
  /** Logs an address reaching its connection limit and every address being below it again. */
  private readonly perAddressCapacity: StateChangeLog;
  /** Connections open per client address (a Map: addresses are untrusted keys). */
  private readonly perAddress = new Map<string, number>();
  private closing: Promise<void> | undefined;
  /** The change feed: replicas' snapshots and long polls. */
  readonly feed: ChangeFeed;

  constructor(options: FlagServerOptions) {
    this.options = {
      host: options.host ?? SERVER_DEFAULTS.host,
      port: options.port ?? SERVER_DEFAULTS.port,
      transport: options.transport ?? SERVER_DEFAULTS.transport,
      protocol: options.protocol ?? SERVER_DEFAULTS.protocol,
      maxMessageBytes: positive(options.maxMessageBytes ?? SERVER_DEFAULTS.maxMessageBytes, 'maxMessageBytes'),
      idleTimeoutMs: positive(options.idleTimeoutMs ?? SERVER_DEFAULTS.idleTimeoutMs, 'idleTimeoutMs'),
      maxConnections: positive(options.maxConnections ?? SERVER_DEFAULTS.maxConnections, 'maxConnections'),
      maxConnectionsPerIp: positive(
        options.maxConnectionsPerIp ?? SERVER_DEFAULTS.maxConnectionsPerIp,
        'maxConnectionsPerIp',
      ),
      maxPendingBytes: positive(options.maxPendingBytes ?? SERVER_DEFAULTS.maxPendingBytes, 'maxPendingBytes'),
      maxInFlightPerConnection: positive(
        options.maxInFlightPerConnection ?? SERVER_DEFAULTS.maxInFlightPerConnection,
        'maxInFlightPerConnection',
      ),
      shutdownTimeoutMs: positive(options.shutdownTimeoutMs ?? SERVER_DEFAULTS.shutdownTimeoutMs, 'shutdownTimeoutMs'),
      maxFlagBytes: positive(options.maxFlagBytes ?? SERVER_DEFAULTS.maxFlagBytes, 'maxFlagBytes'),
      listPageSize: positive(options.listPageSize ?? SERVER_DEFAULTS.listPageSize, 'listPageSize'),
    };
    validateWireOptions(this.options.transport, this.options.protocol);
    this.logger = options.logger;
    this.feed = new ChangeFeed({
      store: options.store,
      log: options.changeLog ?? new LocalChangeLog(options.store),
      logger: options.logger,
      maxWaitMs: options.maxWaitMs,
    });
    this.capacity = new StateChangeLog(
      options.logger,
      { maxConnections: this.options.maxConnections },
      {
        failing: 'connection limit reached: new connections are closed',
        working: 'below the connection limit again',
        counted: 'closed connections',
      },
    );
    this.perAddressCapacity = new StateChangeLog(
      options.logger,
      { maxConnectionsPerIp: this.options.maxConnectionsPerIp },
      {
        failing: 'per-address connection limit reached: new connections from that address are closed',
        working: 'every address below its connection limit again',
        counted: 'closed connections',
      },
    );
    this.instrumentation = options.instrumentation;
    if (this.instrumentation !== undefined) {
      const feed = this.feed;
      this.instrumentation.countWaitingPollers(() => feed.waiting);
    }
    this.handler = new FeatureFlagStoreHandler(
      this.instrumentation === undefined ? options.store : this.instrumentation.instrumentStore(options.store),
      options.logger,
      { maxFlagBytes: this.options.maxFlagBytes, listPageSize: this.options.listPageSize },
      this.feed,
      options.history,
    );
    this.readOnly = options.readOnly === true;
    this.authzFile = options.authzFile;
    this.policy = options.authzFile === undefined ? undefined : AccessPolicy.fromFile(options.authzFile);
    this.refusedPeers = new KeyedRateLog(options.logger, 'refused a connection: TLS handshake or client certificate');
    this.refusedCalls = new KeyedRateLog(options.logger, 'refused a call: permission denied');
    this.settings = {
      processor: this.processorFor(this.handler),
      protocol: protocolClasses(this.options.protocol),
      assembler: {
        transport: this.options.transport,
        protocol: this.options.protocol,
        maxMessageBytes: this.options.maxMessageBytes,
      },
      maxInFlight: this.options.maxInFlightPerConnection,
      maxPendingBytes: this.options.maxPendingBytes,
      logger: options.logger,
    };
    this.server = createServer((socket) => this.accept(socket, 'main'));
    this.server.maxConnections = this.options.maxConnections;
    this.server.on('drop', () => this.capacity.failed());
    if (options.admin !== undefined) {
      this.adminListen = {
        host: options.admin.host ?? SERVER_DEFAULTS.host,
        port: integerPort(options.admin.port, 'admin.port'),
      };
      this.adminServer = createServer((socket) => this.accept(socket, 'admin'));
      this.adminServer.maxConnections = this.options.maxConnections;
      this.adminServer.on('drop', () => this.capacity.failed());
    }
    if (options.tls !== undefined) {
      this.tls = validateTlsOptions(options.tls);
      const context = this.secureContextOptions();
      for (const role of ['main', 'admin'] as const) {
        if (role === 'admin' && !this.adminServer) continue;
        const tlsServer = createTlsServer({
          ...context,
          // Asked for unless 'none'; checked in `secured` (not by Node, which would cut a bad one
          // without telling us), so every refusal is logged with its reason.
          requestCert: this.tls.clientAuth !== 'none',
          rejectUnauthorized: false,
          handshakeTimeout: this.tls.handshakeTimeoutMs,
        });
        tlsServer.on('secureConnection', (socket: TLSSocket) => this.secured(socket, role));
        tlsServer.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) =>
          this.refusePeer(socket, tlsFailure(err)),
        );
        this.tlsServers.set(role, tlsServer);
      }
    }
  }

  /**
   * Reads the TLS files and the policy file again (on SIGHUP): new connections get the new
   * certificates, open ones keep theirs and are not dropped; the new policy applies to the next call
   * of every connection. When a file is bad nothing changes and the error says which.
   */
  async reload(): Promise<void> {
    const policy = this.authzFile === undefined ? undefined : AccessPolicy.fromFile(this.authzFile);
    if (this.tls !== undefined) {
      const context = this.secureContextOptions();
      for (const tlsServer of this.tlsServers.values()) tlsServer.setSecureContext(context);
    }
    this.policy = policy;
  }

  /** The TLS files read and checked by building a context from them (so a bad pair fails here). */
  private secureContextOptions(): ReturnType<typeof readTlsFiles> {
    const tls = this.tls!;
    const context = readTlsFiles(tls);
    try {
      createTlsServer(context);
    } catch (error) {
      throw new InvalidArgumentError(
        `the TLS certificate ${tls.certFile}, key ${tls.keyFile}` +
          `${tls.caFile ? ` or CA ${tls.caFile}` : ''} cannot be used: ${(error as Error).message}`,
      );
    }
    return context;
  }

  /** Starts listening; resolves with the address (useful with port 0). */
  async listen(): Promise<AddressInfo> {
    await listenOn(this.server, this.options.port, this.options.host, this.logger);
    if (this.adminServer) {
      try {
        await listenOn(this.adminServer, this.adminListen!.port, this.adminListen!.host, this.logger);
      } catch (error) {
        this.server.close();
        throw error;
      }
    }
    const period = Math.max(10, Math.min(1000, Math.floor(this.options.idleTimeoutMs / 4)));
    this.sweeper = setInterval(() => this.sweep(), period);
    this.sweeper.unref();
    this.warnWhenExposed(this.address, this.readOnly);
    if (this.adminServer) this.warnWhenExposed(this.adminAddress!, false);
    return this.address;
  }

  /** Where the admin listener listens, when there is one. */
  get adminAddress(): AddressInfo | undefined {
    return (this.adminServer?.address() as AddressInfo | null) ?? undefined;
  }

  /**
   * The service has no authentication or encryption: any peer that reaches the port may change
   * every flag. Listening beyond loopback is sometimes meant (a private network, a firewall, a mesh
   * doing mTLS), so it is allowed, but said once at startup.
   */
  private warnWhenExposed(where: AddressInfo, readOnly: boolean): void {
    const { address, family } = where;
    if (LOOPBACK.check(address, family === 'IPv6' ? 'ipv6' : 'ipv4')) return;
    // Client certificates decide who gets in: reaching the port is not enough.
    if (this.tls !== undefined && this.tls.clientAuth === 'require') return;
    if (readOnly) {
      this.logger.warn(
        { address, port: where.port },
        'listening beyond loopback, read-only: anyone who can reach this port can read every flag ' +
          '(--tls-cert and --tls-client-auth require restrict who can)',
      );
      return;
    }
    this.logger.warn(
      { address, port: where.port },
      'listening beyond loopback: the Thrift service has no authentication or encryption, so anyone who can reach ' +
        'this port can read and change every flag; keep it on a private network or behind a firewall or TLS proxy',
    );
  }

  /** Where the server listens. */
  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Who is on each connection served now (after its TLS handshake, under TLS). */
  callers(): Caller[] {
    return [...this.connections].map((connection) => connection.caller!);
  }

  /**
   * Stops accepting, closes idle connections at once, lets calls in flight finish (for at most
   * `shutdownTimeoutMs`), then resolves. The store is the caller's to close. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close();
      // Long polls are answered now (nothing changed), so their connections close like idle ones.
      this.feed.close();
      this.adminServer?.close();
      for (const socket of this.handshaking.values()) socket.destroy();
      for (const connection of this.connections) connection.shutdown();
      const force = setTimeout(() => {
        for (const connection of this.connections) connection.socket.destroy();
      }, this.options.shutdownTimeoutMs);
      const done = () => {
        clearTimeout(force);
        clearInterval(this.sweeper);
        resolve();
      };
      if (this.openSockets === 0) done();
      else this.whenEmpty = done;
    });
    return this.closing;
  }

  private whenEmpty: (() => void) | undefined;

  private accept(socket: Socket, role: ListenerRole): void {
    if (this.closing || this.openSockets >= this.options.maxConnections) {
      if (!this.closing) this.capacity.failed();
      socket.destroy();
      return;
    }
    // One address may hold only its share of the slots, so slow clients there cannot lock out
    // others; counted before any TLS handshake, which costs the server more than a plain connection.
    const address = socket.remoteAddress ?? '';
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (fromAddress >= this.options.maxConnectionsPerIp) {
      this.perAddressCapacity.failed({ address });
      socket.destroy();
      return;
    }
    this.perAddress.set(address, fromAddress + 1);
    this.openSockets++;
    socket.on('close', () => {
      this.openSockets--;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
      if (this.perAddressCapacity.failing && left < this.options.maxConnectionsPerIp && this.atLimitNowhere()) {
        this.perAddressCapacity.succeeded();
      }
      if (this.capacity.failing && this.openSockets < this.options.maxConnections) {
        this.capacity.succeeded({ connections: this.openSockets });
      }
      if (this.openSockets === 0) this.whenEmpty?.();
    });
    const tlsServer = this.tlsServers.get(role);
    if (tlsServer === undefined) {
      this.serve(socket, new Caller(`${address}:${socket.remotePort}`, role, undefined));
      return;
    }
    const key = `${role}|${address}|${socket.remotePort}`;
    this.handshaking.set(key, socket);
    socket.on('close', () => this.handshaking.delete(key));
    // Errors of a wrapped socket reach the TLS socket; this one only keeps a stray one from throwing.
    socket.on('error', () => undefined);
    tlsServer.emit('connection', socket);
  }

  /** A TLS handshake finished: the client's certificate, when asked for, decides who it is or refuses it. */
  private secured(socket: TLSSocket, role: ListenerRole): void {
    this.handshaking.delete(`${role}|${socket.remoteAddress ?? ''}|${socket.remotePort}`);
    if (this.closing) {
      socket.destroy();
      return;
    }
    const mode = this.tls!.clientAuth;
    let identity: PeerIdentity | undefined;
    if (mode !== 'none') {
      const cert = socket.getPeerCertificate();
      const presented = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
      if (presented && !socket.authorized) {
        return this.refusePeer(socket, `client certificate refused: ${String(socket.authorizationError)}`);
      }
      if (presented) identity = identityOf(cert);
      if (presented && identity === undefined) {
        return this.refusePeer(socket, 'client certificate names nobody (no subject CN and no subjectAltName)');
      }
      if (!presented && mode === 'require') {
        return this.refusePeer(socket, 'no client certificate (--tls-client-auth require)');
      }
    }
    this.serve(socket, new Caller(`${socket.remoteAddress}:${socket.remotePort}`, role, identity));
  }

  /** Logs (once per address per minute, no stack) and disconnects a peer refused by TLS. */
  private refusePeer(socket: TLSSocket, reason: string): void {
    const address = socket.remoteAddress ?? 'unknown';
    this.refusedPeers.note(address, { remote: `${address}:${socket.remotePort}`, reason });
    socket.destroy();
  }

  /** Serves calls on an accepted (and, under TLS, secured) connection. */
  private serve(socket: Socket, caller: Caller): void {
    const connection = new ServerConnection(socket, this.settingsFor(caller), caller);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  /**
   * The connection's processor: over the handler as seen by this caller (`handler.caller`), and,
   * under a policy or on a read-only listener, behind a gate answering PERMISSION_DENIED to what
   * the caller may not do.
   */
  /** The processor over `handler`: generated code, the fast Get and the streamed List replies. */
  private processorFor(handler: FeatureFlagStoreHandler): Processor {
    // Metrics count and time each call through a wrapper of the (per-caller) handler.
    const served = this.instrumentation === undefined ? handler : this.instrumentation.instrumentHandler(handler);
    return makeProcessor(served, protocolClasses(this.options.protocol), this.options.transport === 'framed');
  }

  private settingsFor(caller: Caller): ConnectionSettings {
    const readOnlyListener = this.readOnly && caller.listener === 'main';
    let processor = this.processorFor(this.handler.forCaller(caller));
    if (this.authzFile !== undefined || readOnlyListener) {
      processor = withAuthorization(processor, {
        caller,
        readOnlyListener,
        access: (): Access => this.policy?.accessFor(caller.identity) ?? (readOnlyListener ? READ_ONLY : FULL_ACCESS),
        knows: (method) => KNOWN_METHODS.has(method),
        refusals: this.refusedCalls,
      });
    }
    return { ...this.settings, processor };
  }

  private atLimitNowhere(): boolean {
    for (const count of this.perAddress.values()) if (count >= this.options.maxConnectionsPerIp) return false;
    return true;
  }

  /**
   * Closes idle connections, connections taking longer than the idle timeout to send one call, and
   * connections whose peer took none of its replies for that long.
   */
  private sweep(): void {
    const now = Date.now();
    const limit = this.options.idleTimeoutMs;
    for (const connection of this.connections) {
      const idle = connection.inFlight === 0 && now - connection.lastActivity > limit;
      const slow = connection.inFlight === 0 && connection.partialSince !== 0 && now - connection.partialSince > limit;
      // A peer that takes none of its replies for that long holds their bytes for nothing.
      const stalled = connection.socket.writableLength > 0 && now - connection.lastActivity > limit;
      if (idle || slow || stalled) {
        const reason = stalled ? 'replies not taken' : slow ? 'slow message' : 'idle';
        this.logger.debug({ remote: connection.remote, reason }, 'closing connection');
        connection.socket.destroy();
      }
    }
  }
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/** The generated service code, loaded with the server (it loads npm thrift). */
function generatedService(): { Processor: new (handler: object) => Processor } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../gen-nodejs/FeatureFlagStore') as { Processor: new (handler: object) => Processor };
}

function makeProcessor(handler: FeatureFlagStoreHandler, protocol: ProtocolClasses, framed: boolean): Processor {
  const generated = new (generatedService().Processor)(handler);
  return withStreamedLists(withFastGet(generated, handler), handler, protocol, framed);
}

/** Every method of the service (the generated processor has a `process_<name>` for each). */
const KNOWN_METHODS: ReadonlySet<string> = new Set(
  Object.keys(generatedService().Processor.prototype)
    .filter((key) => key.startsWith('process_'))
    .map((key) => key.slice('process_'.length)),
);

function listenOn(server: Server, port: number, host: string, logger: FlipperLogger): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      server.on('error', (err) => logger.error({ err }, 'server error'));
      resolve();
    });
  });
}

function integerPort(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new InvalidArgumentError(`${name} must be a port from 0 to 65535, got ${String(value)}`);
  }
  return value;
}

/** A handshake failure in a few words: Node's code, and OpenSSL's reason when it gives one. */
function tlsFailure(err: Error & { code?: string; reason?: string }): string {
  return `TLS handshake failed: ${err.code ?? 'error'}${err.reason ? ` (${err.reason})` : `: ${err.message}`}`;
}
