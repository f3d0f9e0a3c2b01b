import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';
import { HttpError } from '../http-error';
import type { BearerToken } from './bearer-token';
import { sameSecret } from './bearer-token';
import { crossSiteReason, hasLoopbackHost } from './request-origin';
import type { FlipperLogger } from '../../../shared/logger';
import { KeyedRateLog } from '../../security/keyed-rate-log';
import { LoginThrottle } from './login-throttle';
import { SessionStore, type Session } from './sessions';

const COOKIE = 'flipper_session';

export interface ConsoleGateOptions {
  /** The console may change flags (`--http-writes`). */
  writes: boolean;
  /** With a token, the console needs a login (reads and writes); without, it is open as before. */
  token?: BearerToken;
  /** The listener is on loopback: then, without a token, only loopback `Host` names are answered. */
  loopback: boolean;
  sessions?: SessionStore;
  /** Wrong logins per address. Default: 10 a minute. */
  throttle?: LoginThrottle;
  /** Refused logins are logged at `warn`, once a minute per address (with how many were left out). */
  logger?: FlipperLogger;
}

/** What `GET /api/session` tells the page. */
export interface SessionInfo {
  /** A token is configured: the page shows a login form until there is a session. */
  login: boolean;
  loggedIn: boolean;
  writes: boolean;
  /** Sent back in `X-CSRF-Token` with every POST and PUT; only to a page that may use the API. */
  csrfToken?: string;
}

/**
 * Who may use the console's API. With a token: a session cookie from `POST /api/login` for every
 * call. Without: no login, as before the token existed (a loopback listener then answers only
 * loopback `Host` names, so a DNS-rebound page of another site gets nothing). Every POST and PUT,
 * logged in or not, must be same-origin (`Sec-Fetch-Site`, `Origin`), carry the session's CSRF
 * token in `X-CSRF-Token` and be `application/json`.
 */
export class ConsoleGate {
  readonly sessions: SessionStore;
  /** Without a token, the one session every page of a loopback console shares (its CSRF token). */
  private readonly open: Session | undefined;
  private readonly throttle: LoginThrottle;
  private readonly refusedLogins: KeyedRateLog | undefined;
  private token: BearerToken | undefined;

  constructor(private readonly options: ConsoleGateOptions) {
    this.sessions = options.sessions ?? new SessionStore();
    this.throttle = options.throttle ?? new LoginThrottle();
    this.refusedLogins = options.logger && new KeyedRateLog(options.logger, 'console login refused');
    this.token = options.token;
    this.open =
      options.token === undefined
        ? { csrfToken: randomBytes(32).toString('base64url'), expiresAt: Number.POSITIVE_INFINITY }
        : undefined;
  }

  /** The request's session: its cookie's, or without a token the shared one. */
  session(request: IncomingMessage): Session | undefined {
    if (this.open !== undefined) return this.options.loopback && !hasLoopbackHost(request) ? undefined : this.open;
    return this.sessions.find(cookie(request, COOKIE));
  }

  info(request: IncomingMessage): SessionInfo {
    const session = this.session(request);
    return {
      login: this.token !== undefined,
      loggedIn: session !== undefined && this.open === undefined,
      writes: this.options.writes,
      csrfToken: session?.csrfToken,
    };
  }

  /**
   * Who a console write is recorded as: `console` on a console without login, else `console
   * session 1a2b3c4d`, from a digest of the session's cookie: it tells one login's writes from
   * another's and reveals nothing of the cookie or the token.
   */
  actor(request: IncomingMessage): string {
    const id = this.open === undefined ? cookie(request, COOKIE) : undefined;
    if (id === undefined) return 'console';
    return `console session ${createHash('sha256').update(`actor:${id}`).digest('hex').slice(0, 8)}`;
  }

  /** Refuses a read without a session (401), or with a non-loopback `Host` on an open loopback console (403). */
  checkRead(request: IncomingMessage): Session {
    const session = this.session(request);
    if (session !== undefined) return session;
    if (this.open !== undefined) throw new HttpError(403, 'this console answers only loopback host names');
    throw new HttpError(401, 'log in first (POST /api/login with the token)');
  }

  /**
   * Refuses a POST or PUT: cross-site (403), a write on a read-only console (403), no session
   * (401), a missing or wrong CSRF token (403), not JSON (415). `write` false: a call that changes
   * nothing (explain, logout), which needs all but `--http-writes`.
   */
  checkPost(request: IncomingMessage, write: boolean): Session {
    const crossSite = crossSiteReason(request);
    if (crossSite !== undefined) throw new HttpError(403, `refused ${crossSite}`);
    if (write && !this.options.writes) {
      throw new HttpError(403, 'this console is read-only (start the server with --http-writes)');
    }
    const session = this.checkRead(request);
    const csrf = request.headers['x-csrf-token'];
    if (typeof csrf !== 'string' || !sameSecret(csrf, session.csrfToken)) {
      throw new HttpError(403, 'missing or wrong X-CSRF-Token (read it from GET /api/session)');
    }
    checkJson(request);
    return session;
  }

  /** Refuses a login request before its body is read: cross-site (403), not JSON (415), no token configured (404). */
  checkLogin(request: IncomingMessage): void {
    const crossSite = crossSiteReason(request);
    if (crossSite !== undefined) throw new HttpError(403, `refused ${crossSite}`);
    checkJson(request);
    if (this.token === undefined) throw new HttpError(404, 'this console has no login (no token configured)');
  }

  /** `POST /api/login`, once `checkLogin` passed: the token (`{"token": "..."}`) for a session cookie. */
  login(request: IncomingMessage, response: ServerResponse, candidate: unknown): SessionInfo {
    this.checkLogin(request);
    const address = request.socket.remoteAddress ?? 'unknown';
    const wait = this.throttle.waitSeconds(address);
    if (wait !== undefined) {
      this.refusedLogins?.note(address, { address, reason: 'too many wrong tokens' });
      throw new HttpError(429, `too many wrong tokens from this address: try again in ${wait} s`, {
        'Retry-After': String(wait),
      });
    }
    if (typeof candidate !== 'string' || !this.token!.matches(candidate)) {
      this.throttle.failed(address);
      this.refusedLogins?.note(address, { address, reason: 'wrong token' });
      throw new HttpError(401, 'wrong token');
    }
    this.throttle.succeeded(address);
    const { id, session } = this.sessions.create();
    const maxAge = Math.floor(this.sessions.ttlMs / 1000);
    response.setHeader('Set-Cookie', sessionCookie(request, id, maxAge));
    return { login: true, loggedIn: true, writes: this.options.writes, csrfToken: session.csrfToken };
  }

  /**
   * The token read again (SIGHUP): when it is another, every session ends, since a token is
   * replaced because it may have leaked, and the sessions opened with it too. True when it changed.
   */
  replaceToken(token: BearerToken): boolean {
    if (this.token === undefined) throw new Error('ConsoleGate.replaceToken: this console has no login');
    if (this.token.sameAs(token)) return false;
    this.token = token;
    this.sessions.clear();
    return true;
  }

  /** `POST /api/logout`: ends the session and clears the cookie. */
  logout(request: IncomingMessage, response: ServerResponse): SessionInfo {
    this.checkPost(request, false);
    const id = cookie(request, COOKIE);
    if (id !== undefined) this.sessions.delete(id);
    response.setHeader('Set-Cookie', sessionCookie(request, '', 0));
    return { login: this.token !== undefined, loggedIn: false, writes: this.options.writes };
  }
}

function checkJson(request: IncomingMessage): void {
  // A cross-site form can send only form encodings and text/plain without the browser asking first.
  if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new HttpError(415, 'POST and PUT bodies must be application/json');
  }
}

/**
 * `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page sends it), and `Secure`
 * over TLS: this listener's own, or a TLS-terminating proxy's that says `X-Forwarded-Proto: https`
 * (trusting that header is safe here: it can only restrict where the cookie goes).
 */
function sessionCookie(request: IncomingMessage, value: string, maxAge: number): string {
  const tls = (request.socket as TLSSocket).encrypted === true || request.headers['x-forwarded-proto'] === 'https';
  return `${COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${tls ? '; Secure' : ''}`;
}

function cookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
