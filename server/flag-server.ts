import { BlockList, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
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
import type { ChangeLog } from './feed/change-log';
import { LocalChangeLog } from './feed/local-change-log';

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
  /** Where the server logs. */
  logger: FlipperLogger;
  /**
   * Versions and change signals of the store, for the change feed (`GetSnapshot`,
   * `WaitForChanges`); the caller owns it and closes it. Default: versions kept by this server,
   * seeing only its own writes.
   */
  changeLog?: ChangeLog;
  /** Longest a `WaitForChanges` long poll waits. Default 60000 ms. */
  maxWaitMs?: number;
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
  private readonly options: Required<Omit<FlagServerOptions, 'store' | 'logger' | 'changeLog' | 'maxWaitMs'>>;
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
    this.settings = {
      processor: makeProcessor(
        new FeatureFlagStoreHandler(
          options.store,
          options.logger,
          {
            maxFlagBytes: this.options.maxFlagBytes,
            listPageSize: this.options.listPageSize,
          },
          this.feed,
        ),
        protocolClasses(this.options.protocol),
        this.options.transport === 'framed',
      ),
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
    this.server = createServer((socket) => this.accept(socket));
    this.server.maxConnections = this.options.maxConnections;
    this.server.on('drop', () => this.capacity.failed());
  }

  /** Starts listening; resolves with the address (useful with port 0). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.logger.error({ err }, 'server error'));
        const period = Math.max(10, Math.min(1000, Math.floor(this.options.idleTimeoutMs / 4)));
        this.sweeper = setInterval(() => this.sweep(), period);
        this.sweeper.unref();
        this.warnWhenExposed();
        resolve(this.address);
      });
    });
  }

  /**
   * The service has no authentication or encryption: any peer that reaches the port may change
   * every flag. Listening beyond loopback is sometimes meant (a private network, a firewall, a mesh
   * doing mTLS), so it is allowed, but said once at startup.
   */
  private warnWhenExposed(): void {
    const { address, family } = this.address;
    if (LOOPBACK.check(address, family === 'IPv6' ? 'ipv6' : 'ipv4')) return;
    this.logger.warn(
      { address, port: this.address.port },
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

  /**
   * Stops accepting, closes idle connections at once, lets calls in flight finish (for at most
   * `shutdownTimeoutMs`), then resolves. The store is the caller's to close. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close();
      // Long polls are answered now (nothing changed), so their connections close like idle ones.
      this.feed.close();
      for (const connection of this.connections) connection.shutdown();
      const force = setTimeout(() => {
        for (const connection of this.connections) connection.socket.destroy();
      }, this.options.shutdownTimeoutMs);
      const done = () => {
        clearTimeout(force);
        clearInterval(this.sweeper);
        resolve();
      };
      if (this.connections.size === 0) done();
      else this.whenEmpty = done;
    });
    return this.closing;
  }

  private whenEmpty: (() => void) | undefined;

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    // One address may hold only its share of the slots, so slow clients there cannot lock out others.
    const address = socket.remoteAddress ?? '';
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (fromAddress >= this.options.maxConnectionsPerIp) {
      this.perAddressCapacity.failed({ address });
      socket.destroy();
      return;
    }
    this.perAddress.set(address, fromAddress + 1);
    const connection = new ServerConnection(socket, this.settings);
    this.connections.add(connection);
    socket.on('close', () => {
      this.connections.delete(connection);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
      if (this.perAddressCapacity.failing && left < this.options.maxConnectionsPerIp && this.atLimitNowhere()) {
        this.perAddressCapacity.succeeded();
      }
      if (this.capacity.failing && this.connections.size < this.options.maxConnections) {
        this.capacity.succeeded({ connections: this.connections.size });
      }
      if (this.connections.size === 0) this.whenEmpty?.();
    });
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

function makeProcessor(handler: FeatureFlagStoreHandler, protocol: ProtocolClasses, framed: boolean): Processor {
  // The generated service code, loaded with the server (it loads npm thrift).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const service = require('../gen-nodejs/FeatureFlagStore') as {
    Processor: new (handler: object) => Processor;
  };
  return withStreamedLists(withFastGet(new service.Processor(handler), handler), handler, protocol, framed);
}
