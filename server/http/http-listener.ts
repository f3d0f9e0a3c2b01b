import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlipperLogger } from '../../shared/logger';

/**
 * Sent with every response (pages, API, probes, metrics, 404s): no script or style but the
 * listener's own files, no inline script, no plugins, no `<base>`, no framing; no MIME sniffing;
 * no Referer leaving the console.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** Answers one request. Throwing (or rejecting) answers 500 and logs; the listener stays up. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/**
 * The flag server's HTTP listener: a table of routes that the probes, `/metrics` and the web
 * console each add to, so they can share one port. Exact `GET` routes, and prefix routes (a path
 * ending in `/`) that take every method and answer 405 themselves. Anything else is 404 (405 for
 * another method on an exact path).
 */
export class HttpListener {
  private readonly routes = new Map<string, RouteHandler>();
  private readonly prefixes: Array<[string, RouteHandler]> = [];
  private readonly server: Server;

  constructor(private readonly logger: FlipperLogger) {
    this.server = createServer((request, response) => this.handle(request, response));
    // Probes and scrapes are small; a peer that sends nothing is not kept around.
    this.server.requestTimeout = 10_000;
    this.server.headersTimeout = 5_000;
    this.server.keepAliveTimeout = 5_000;
  }

  /** Adds a `GET` (and `HEAD`) route for an exact path. */
  get(path: string, handler: RouteHandler): this {
    this.routes.set(path, handler);
    return this;
  }

  /** Adds a route for every path under `prefix` (ending in `/`), any method. */
  under(prefix: string, handler: RouteHandler): this {
    this.prefixes.push([prefix, handler]);
    return this;
  }

  /** Makes the exact routes at `paths` answer 401 (`WWW-Authenticate: Bearer`) unless `allowed(request)`. */
  restrict(paths: readonly string[], allowed: (request: IncomingMessage) => boolean): this {
    for (const path of paths) {
      const handler = this.routes.get(path);
      if (handler === undefined) continue;
      this.routes.set(path, (request, response) => {
        if (allowed(request)) return handler(request, response);
        response.setHeader('WWW-Authenticate', 'Bearer');
        send(response, 401, 'unauthorized: send Authorization: Bearer <token>\n');
      });
    }
    return this;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.logger.error({ err }, 'http server error'));
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting and closes every connection (kept-alive ones included). Safe to call twice. */
  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    for (const [header, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(header, value);
    const path = (request.url ?? '/').split('?')[0];
    const exact = this.routes.get(path);
    const handler = exact ?? this.prefixes.find(([prefix]) => path.startsWith(prefix))?.[1];
    if (handler === undefined) return send(response, 404, 'not found\n');
    if (exact !== undefined && request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return send(response, 405, 'method not allowed\n');
    }
    let answered: void | Promise<void>;
    try {
      answered = handler(request, response);
    } catch (error) {
      answered = Promise.reject(error);
    }
    Promise.resolve(answered).catch((err: unknown) => {
      this.logger.error({ err, path }, 'http route failed');
      if (!response.headersSent) send(response, 500, 'internal error\n');
      else response.destroy();
    });
  }
}

/** A plain-text answer. */
export function send(
  response: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
