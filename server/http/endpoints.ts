import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import type { FlipperLogger } from '../../shared/logger';
import { FeatureFlagClient } from '../../client/client';
import type { ChangeFeed } from '../feed/change-feed';
import type { FlagWriter } from '../flag-writer';
import type { BearerToken } from './auth/bearer-token';
import { ConsoleGate } from './auth/console-gate';
import { isLoopbackName } from './auth/request-origin';
import { ConsoleEvents } from './console/console-events';
import { addConsole } from './console/console-routes';
import { HttpListener } from './http-listener';
import { addProbes } from './probes';
import { ServerMetrics } from './server-metrics';

export interface HttpEndpointsOptions {
  store: FeatureFlagStore;
  logger: FlipperLogger;
  /** Where the HTTP listener binds (probes, and /metrics unless `metricsPort`). Loopback by default. */
  host: string;
  /** The HTTP listener's port; undefined: none. */
  httpPort?: number;
  /** A listener of its own for /metrics (and the probes); undefined: /metrics is on `httpPort`. */
  metricsPort?: number;
  /** How long the store may take to answer `/readyz`. */
  readyTimeoutMs: number;
  /** The console may change flags. */
  httpWrites?: boolean;
  /** `--http-token-file` / `FLIPPER_HTTP_TOKEN`: the console needs a login with it. */
  token?: BearerToken;
  /** `--metrics-auth`: /metrics and the probes need `Authorization: Bearer <token>`. */
  metricsAuth?: boolean;
  /** The server's change feed, for the console's live updates (created after this, hence a function). */
  feed?: () => ChangeFeed | undefined;
  /** The flag server's write path, which console writes go through (created after this, hence a function). */
  writer?: () => FlagWriter | undefined;
  /** Console event streams open at once at most. Default 64. */
  maxEventStreams?: number;
  /** Thrift connections open now. */
  openConnections(): number;
  /** True once the server shuts down (`/readyz` then says 503). */
  closing(): boolean;
}

/**
 * The flag server's HTTP side: probes on every listener, `/metrics` on the metrics port when there
 * is one, else on the HTTP port, and the web console on the HTTP port.
 */
export class HttpEndpoints {
  readonly metrics: ServerMetrics;
  readonly http?: HttpListener;
  private readonly metricsListener?: HttpListener;
  private readonly gate?: ConsoleGate;
  /** The token the console and `--metrics-auth` check, replaced by `replaceToken`. */
  private token?: BearerToken;

  constructor(private readonly options: HttpEndpointsOptions) {
    this.metrics = new ServerMetrics(options.store, options.logger, options.openConnections);
    this.token = options.token;
    const probes = { store: options.store, deadlineMs: options.readyTimeoutMs, closing: options.closing };
    if (options.httpPort !== undefined) {
      this.http = new HttpListener(options.logger);
      addProbes(this.http, probes);
      const client = new FeatureFlagClient(options.store, { logger: options.logger });
      const feed = options.feed ?? (() => undefined);
      this.gate = new ConsoleGate({
        writes: options.httpWrites === true,
        token: options.token,
        loopback: isLoopbackName(options.host),
        logger: options.logger,
      });
      addConsole(this.http, client, {
        gate: this.gate,
        events: new ConsoleEvents({ feed, maxStreams: options.maxEventStreams }),
        writer: options.writer ?? (() => undefined),
      });
    }
    if (options.metricsPort !== undefined) {
      this.metricsListener = new HttpListener(options.logger);
      addProbes(this.metricsListener, probes);
    }
    const metricsHome = this.metricsListener ?? this.http;
    if (metricsHome) this.metrics.addRoute(metricsHome);
    if (options.metricsAuth === true && options.token !== undefined) {
      for (const listener of [this.http, this.metricsListener]) {
        listener?.restrict(['/healthz', '/readyz', '/metrics'], (request) =>
          this.token!.authorizes(request.headers.authorization),
        );
      }
    }
  }

  /**
   * The token read again (SIGHUP; only when one was configured at start): the console's logins and
   * `--metrics-auth` take the new one at once, and the console's sessions end when it changed.
   * True when it changed.
   */
  replaceToken(token: BearerToken): boolean {
    if (this.token === undefined) throw new Error('HttpEndpoints.replaceToken: no token was configured');
    if (this.token.sameAs(token)) return false;
    this.token = token;
    this.gate?.replaceToken(token);
    return true;
  }

  /** Starts the listeners; resolves with their ports. */
  async listen(): Promise<{ httpPort?: number; metricsPort?: number }> {
    const { host, httpPort, metricsPort } = this.options;
    const ports: { httpPort?: number; metricsPort?: number } = {};
    try {
      if (this.http) ports.httpPort = (await this.http.listen(httpPort!, host)).port;
      if (this.metricsListener) ports.metricsPort = (await this.metricsListener.listen(metricsPort!, host)).port;
    } catch (error) {
      await this.close();
      throw error;
    }
    return ports;
  }

  async close(): Promise<void> {
    await Promise.all([this.http?.close(), this.metricsListener?.close()]);
  }
}
