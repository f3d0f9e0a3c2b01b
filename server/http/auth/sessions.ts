import { createHash, randomBytes } from 'node:crypto';

/** One logged-in browser: the cookie's id is never kept, only its digest (the Map's key). */
export interface Session {
  /** Sent by the page in `X-CSRF-Token` with every write; read from `GET /api/session`. */
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export interface SessionStoreOptions {
  /** How long a session lasts from login, in ms. Default 12 hours. */
  ttlMs?: number;
  /** Sessions kept at most; the oldest goes first when full. Default 1000. */
  maxSessions?: number;
  /** Milliseconds since the epoch. Injected in tests. */
  now?: () => number;
  /** Random bytes. Injected in tests. */
  random?: (bytes: number) => Buffer;
}

/**
 * The console's sessions, in memory (a restart logs everyone out): random 256-bit ids, a bounded
 * Map with an absolute expiry. Keyed by the SHA-256 of the id, so looking one up does not compare
 * the secret itself.
 */
export class SessionStore {
  readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly random: (bytes: number) => Buffer;
  private readonly sessions = new Map<string, Session>();

  constructor(options: SessionStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? 12 * 3600_000;
    this.maxSessions = options.maxSessions ?? 1000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? randomBytes;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A new session: its id (for the cookie) and the session. */
  create(): { id: string; session: Session } {
    this.dropExpired();
    // Map order is creation order: the first key is the oldest session.
    while (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const id = this.random(32).toString('base64url');
    const session = { csrfToken: this.random(32).toString('base64url'), expiresAt: this.now() + this.ttlMs };
    this.sessions.set(key(id), session);
    return { id, session };
  }

  /** The live session with this id, if any. */
  find(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(key(id));
    if (session === undefined || session.expiresAt > this.now()) return session;
    this.sessions.delete(key(id));
    return undefined;
  }

  delete(id: string): void {
    this.sessions.delete(key(id));
  }

  /** Ends every session. */
  clear(): void {
    this.sessions.clear();
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [k, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(k);
  }
}

function key(id: string): string {
  return createHash('sha256').update(id).digest('base64');
}
