import { expect } from 'chai';
import { request } from 'node:http';
import { MemoryFeatureFlagStore } from '../client';
import { MemoryHistoryLog } from '../server/history/memory-history-log';
import { DEFAULT_HISTORY_RETENTION } from '../shared/model/history';
import { ChangeFeed } from '../server/feed/change-feed';
import { LocalChangeLog } from '../server/feed/local-change-log';
import { BearerToken } from '../server/http/auth/bearer-token';
import { SessionStore } from '../server/http/auth/sessions';
import { HttpEndpoints, type HttpEndpointsOptions } from '../server/http/endpoints';
import { quietLogger } from './helpers/rpc-served';
import { silentLogger } from './helpers/controlled-store';
import { FlagWriter } from '../server/flag-writer';
import type { HistoryLog } from '../server/history/history-log';

const TOKEN = 'console-http-test-token-0123456789abcdef';
const POLICY = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

/**
 * One HTTP listener in this process, over a memory store with its change feed and the write path
 * a flag server would share with it (with a history when given one).
 */
class Console {
  readonly store: MemoryFeatureFlagStore;
  readonly feed: ChangeFeed;
  readonly writer: FlagWriter;
  private readonly endpoints: HttpEndpoints;
  base = '';

  constructor(options: Partial<HttpEndpointsOptions>, history?: { store: MemoryFeatureFlagStore; log: HistoryLog }) {
    this.store = history?.store ?? new MemoryFeatureFlagStore();
    this.feed = new ChangeFeed({ store: this.store, log: new LocalChangeLog(this.store), logger: quietLogger });
    this.writer = new FlagWriter(this.store, this.feed, history?.log);
    this.endpoints = new HttpEndpoints({
      store: this.store,
      logger: quietLogger,
      host: '127.0.0.1',
      httpPort: 0,
      readyTimeoutMs: 1000,
      openConnections: () => 0,
      closing: () => false,
      feed: () => this.feed,
      writer: () => this.writer,
      ...options,
    });
  }

  async start(): Promise<this> {
    this.base = `http://127.0.0.1:${(await this.endpoints.listen()).httpPort!}`;
    return this;
  }

  /** As SIGHUP does with `--http-token-file`. */
  replaceToken(token: string): boolean {
    return this.endpoints.replaceToken(new BearerToken(token));
  }

  async stop(): Promise<void> {
    await this.endpoints.close();
    this.feed.close();
  }

  async call(
    method: string,
    path: string,
    options: { body?: string; headers?: Record<string, string>; cookie?: string; csrf?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['Content-Type'] ??= 'application/json';
    if (options.cookie !== undefined) headers.Cookie = options.cookie;
    if (options.csrf !== undefined) headers['X-CSRF-Token'] = options.csrf;
    const response = await fetch(this.base + path, { method, headers, body: options.body });
    return { status: response.status, body: await response.text(), headers: response.headers };
  }

  /** Logs in: the cookie to send back and the session's CSRF token. */
  async login(token = TOKEN): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const answer = await this.call('POST', '/api/login', { body: JSON.stringify({ token }) });
    expect(answer.status, answer.body).to.equal(200);
    const setCookie = answer.headers.get('set-cookie')!;
    return {
      cookie: setCookie.split(';')[0],
      csrf: (JSON.parse(answer.body) as { csrfToken: string }).csrfToken,
      setCookie,
    };
  }
}

/** A GET with a `Host` header of our choosing (fetch sends the URL's). */
function withHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Host: host } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console over HTTP: login, sessions, CSRF, headers, event streams', function () {
  this.timeout(20_000);
  const consoles: Console[] = [];
  const open = async (options: Partial<HttpEndpointsOptions>) => {
    const started = await new Console(options).start();
    consoles.push(started);
    return started;
  };

  afterEach(async function () {
    for (const c of consoles.splice(0)) await c.stop();
  });

  it('every response carries the Content-Security-Policy, nosniff and no-referrer', async function () {
    const c = await open({ httpWrites: true, token: new BearerToken(TOKEN) });
    for (const path of ['/', '/console/app.js', '/api/session', '/api/flags', '/healthz', '/metrics', '/nothing']) {
      const { headers } = await c.call('GET', path);
      expect(headers.get('content-security-policy'), path).to.equal(POLICY);
      expect(headers.get('x-content-type-options'), path).to.equal('nosniff');
      expect(headers.get('referrer-policy'), path).to.equal('no-referrer');
    }
  });

  it('the page has no inline script, no inline style and no style attribute', async function () {
    const c = await open({});
    const page = (await c.call('GET', '/')).body;
    expect(page).to.match(/<script type="module" src="\/console\/app.js"><\/script>/);
    expect(page.match(/<script\b[^>]*>/g)).to.deep.equal(['<script type="module" src="/console/app.js">']);
    expect(page).not.to.match(/<style|\sstyle=|\son[a-z]+=/i);
    const app = (await c.call('GET', '/console/app.js')).body;
    expect(app).not.to.match(/\sstyle=|innerHTML|eval\(|new Function/);
  });

  it('login: a wrong token is 401 and sets no cookie; the right one sets an HttpOnly, SameSite=Strict cookie', async function () {
    const c = await open({ httpWrites: true, token: new BearerToken(TOKEN) });
    for (const body of [JSON.stringify({ token: 'not-the-token-at-all' }), JSON.stringify({ token: 42 }), '{}']) {
      const wrong = await c.call('POST', '/api/login', { body });
      expect(wrong.status, body).to.equal(401);
      expect(wrong.headers.get('set-cookie')).to.equal(null);
      expect(wrong.body).not.to.include(TOKEN);
    }
    const { setCookie } = await c.login();
    expect(setCookie).to.match(
      /^flipper_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/,
    );
    // Behind a TLS-terminating proxy the cookie is Secure.
    const proxied = await c.call('POST', '/api/login', {
      body: JSON.stringify({ token: TOKEN }),
      headers: { 'X-Forwarded-Proto': 'https' },
    });
    expect(proxied.headers.get('set-cookie')).to.match(/; Max-Age=43200; Secure$/);
    // A login from another site's page (a form cannot send JSON; a fetch is same-site at best).
    const crossSite = await c.call('POST', '/api/login', {
      body: JSON.stringify({ token: TOKEN }),
      headers: { 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(crossSite.status).to.equal(403);
    const form = await c.call('POST', '/api/login', {
      body: `token=${TOKEN}`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).to.equal(415);
  });

  it('after 10 wrong tokens from one address, its logins are 429 with Retry-After, the right token too', async function () {
    const warnings: Array<{ fields: object; msg?: string }> = [];
    const logger = { ...silentLogger, warn: (fields: object, msg?: string) => warnings.push({ fields, msg }) };
    const c = await open({ httpWrites: true, token: new BearerToken(TOKEN), logger });
    const { cookie } = await c.login();
    for (let i = 0; i < 10; i++) {
      const wrong = await c.call('POST', '/api/login', { body: JSON.stringify({ token: `wrong-token-number-${i}` }) });
      expect(wrong.status).to.equal(401);
    }
    for (const token of ['wrong-token-number-10', TOKEN]) {
      const refused = await c.call('POST', '/api/login', { body: JSON.stringify({ token }) });
      expect(refused.status).to.equal(429);
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
      expect(JSON.parse(refused.body)).to.deep.equal({
        error: `too many wrong tokens from this address: try again in ${refused.headers.get('retry-after')} s`,
      });
      expect(refused.headers.get('set-cookie')).to.equal(null);
    }
    // A session opened before goes on.
    expect((await c.call('GET', '/api/flags', { cookie })).status).to.equal(200);
    // Logged once a minute per address, never with the token.
    expect(warnings).to.have.length(1);
    expect(warnings[0].msg).to.equal('console login refused');
    expect(warnings[0].fields).to.include({ reason: 'wrong token' });
    expect(JSON.stringify(warnings)).not.to.include(TOKEN).and.not.to.include('wrong-token-number');
  });

  it('a new token (SIGHUP with --http-token-file): sessions end, the old token is refused, the new one logs in', async function () {
    const c = await open({ httpWrites: true, token: new BearerToken(TOKEN), metricsAuth: true });
    const { cookie } = await c.login();
    expect(c.replaceToken(TOKEN), 'the same token: nothing changes').to.equal(false);
    expect((await c.call('GET', '/api/flags', { cookie })).status).to.equal(200);
    const next = 'the-next-console-token-0123456789';
    expect(c.replaceToken(next)).to.equal(true);
    expect((await c.call('GET', '/api/flags', { cookie })).status).to.equal(401);
    const old = await c.call('POST', '/api/login', { body: JSON.stringify({ token: TOKEN }) });
    expect(old.status).to.equal(401);
    const { cookie: fresh } = await c.login(next);
    expect((await c.call('GET', '/api/flags', { cookie: fresh })).status).to.equal(200);
    const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
    expect((await c.call('GET', '/metrics', bearer(TOKEN))).status).to.equal(401);
    expect((await c.call('GET', '/metrics', bearer(next))).status).to.equal(200);
  });

  it('with a token, reads and writes need a session; each refusal has its code and stores nothing', async function () {
    const c = await open({ httpWrites: true, token: new BearerToken(TOKEN) });
    await c.store.create('guarded');
    const enable = '/api/flags/guarded/enable';

    const session = await c.call('GET', '/api/session');
    expect(JSON.parse(session.body)).to.deep.equal({ login: true, loggedIn: false, writes: true });
    expect((await c.call('GET', '/api/flags')).status).to.equal(401);
    expect((await c.call('GET', '/api/flags/guarded')).status).to.equal(401);
    expect((await c.call('GET', '/api/events')).status).to.equal(401);
    expect((await c.call('POST', enable, { body: '{}' })).status).to.equal(401);
    const forged = { cookie: 'flipper_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', csrf: 'x' };
    expect((await c.call('POST', enable, { body: '{}', ...forged })).status).to.equal(401);

    const { cookie, csrf } = await c.login();
    expect((await c.call('GET', '/api/flags', { cookie })).status).to.equal(200);
    const events = await fetch(`${c.base}/api/events`, { headers: { Cookie: cookie } });
    expect(events.status).to.equal(200);
    expect(JSON.parse((await c.call('GET', '/api/session', { cookie })).body)).to.deep.equal({
      login: true,
      loggedIn: true,
      writes: true,
      csrfToken: csrf,
    });
    const refusals: Array<[number, Parameters<Console['call']>[2]]> = [
      [403, { body: '{}', cookie }], // no CSRF token
      [403, { body: '{}', cookie, csrf: csrf.slice(1) + 'A' }], // a wrong one
      [403, { body: '{}', cookie, csrf, headers: { 'Sec-Fetch-Site': 'same-site' } }],
      [403, { body: '{}', cookie, csrf, headers: { Origin: 'http://127.0.0.1:1' } }],
      [403, { body: '{}', cookie, csrf, headers: { Origin: 'null' } }],
      [415, { body: 'x=1', cookie, csrf, headers: { 'Content-Type': 'text/plain' } }],
    ];
    for (const [status, options] of refusals) {
      const answer = await c.call('POST', enable, options);
      expect(answer.status, JSON.stringify(options)).to.equal(status);
      expect(answer.body).not.to.include(TOKEN);
    }
    expect((await c.store.get('guarded'))!.isEnabled).to.equal(false);

    const sameOrigin = { 'Sec-Fetch-Site': 'same-origin', Origin: c.base };
    const done = await c.call('POST', enable, { body: '{}', cookie, csrf, headers: sameOrigin });
    expect(done.status, done.body).to.equal(200);
    expect((await c.store.get('guarded'))!.isEnabled).to.equal(true);

    // Logging out needs the CSRF token too (else any page could log you out), then the session is gone.
    expect((await c.call('POST', '/api/logout', { body: '{}', cookie })).status).to.equal(403);
    const out = await c.call('POST', '/api/logout', { body: '{}', cookie, csrf });
    expect(out.status).to.equal(200);
    expect(out.headers.get('set-cookie')).to.match(/^flipper_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0/);
    expect((await c.call('GET', '/api/flags', { cookie })).status).to.equal(401);
    // An event stream opened in the session ends at the next change after the logout, unsent.
    await c.store.create('after-logout');
    await c.feed.afterWrite('after-logout');
    const streamed = await events.text();
    expect(streamed).to.match(/^retry: 2000\n\nevent: reload\n/);
    expect(streamed).to.include('"changed":["guarded"]');
    expect(streamed).not.to.include('after-logout');
    expect((await c.call('POST', '/api/flags/guarded/disable', { body: '{}', cookie, csrf })).status).to.equal(401);
    expect((await c.store.get('guarded'))!.isEnabled).to.equal(true);
  });

  it('with a token but without --http-writes, a logged-in session can read and explain, not write', async function () {
    const c = await open({ token: new BearerToken(TOKEN) });
    await c.store.create('ro', { isEnabled: true });
    const { cookie, csrf } = await c.login();
    expect((await c.call('GET', '/api/flags/ro', { cookie })).status).to.equal(200);
    const explain = await c.call('POST', '/api/flags/ro/explain', { body: '{"user_id": 1}', cookie, csrf });
    expect(explain.status).to.equal(200);
    expect(JSON.parse(explain.body)).to.include({ value: true });
    const write = await c.call('POST', '/api/flags/ro/disable', { body: '{}', cookie, csrf });
    expect(write.status).to.equal(403);
    expect(write.body).to.include('read-only');
    expect((await c.store.get('ro'))!.isEnabled).to.equal(true);
  });

  it('without a token: no login, but CSRF and same-origin still hold, and only loopback Host names are answered', async function () {
    const c = await open({ httpWrites: true });
    await c.store.create('open');
    const info = JSON.parse((await c.call('GET', '/api/session')).body) as { csrfToken: string; login: boolean };
    expect(info).to.include({ login: false });
    expect((await c.call('POST', '/api/login', { body: JSON.stringify({ token: TOKEN }) })).status).to.equal(404);
    expect((await c.call('POST', '/api/flags/open/enable', { body: '{}' })).status).to.equal(403);
    // A page of another site whose name was rebound (DNS) to 127.0.0.1 sends its own Host.
    const rebound = (path: string) => withHost(c.base + path, `evil.example:${new URL(c.base).port}`);
    expect((await rebound('/api/session')).body).not.to.include('csrfToken');
    expect((await rebound('/api/flags')).status).to.equal(403);
    expect((await withHost(`${c.base}/api/flags`, `localhost:${new URL(c.base).port}`)).status).to.equal(200);
    const ok = await c.call('POST', '/api/flags/open/enable', { body: '{}', csrf: info.csrfToken });
    expect(ok.status).to.equal(200);
    expect((await c.store.get('open'))!.isEnabled).to.equal(true);
  });

  it('--metrics-auth: /metrics and the probes need Authorization: Bearer with the token', async function () {
    const guarded = await open({ token: new BearerToken(TOKEN), metricsAuth: true });
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      const none = await guarded.call('GET', path);
      expect(none.status, path).to.equal(401);
      expect(none.headers.get('www-authenticate')).to.equal('Bearer');
      const wrong = await guarded.call('GET', path, { headers: { Authorization: `Bearer ${TOKEN}x` } });
      expect(wrong.status, path).to.equal(401);
      const right = await guarded.call('GET', path, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(right.status, path).to.equal(200);
    }
    // The console's own files are not behind the bearer token: the page shows its login form.
    expect((await guarded.call('GET', '/')).status).to.equal(200);
    const open_ = await open({ token: new BearerToken(TOKEN) });
    expect((await open_.call('GET', '/metrics')).status).to.equal(200);
    expect((await open_.call('GET', '/healthz')).status).to.equal(200);
  });

  it('event streams: a change is an event; streams beyond the bound get 503; a closed one leaves no waiter', async function () {
    const c = await open({ httpWrites: true, maxEventStreams: 2 });
    await c.store.create('watched');
    const csrf = (JSON.parse((await c.call('GET', '/api/session')).body) as { csrfToken: string }).csrfToken;
    const first = new AbortController();
    const second = new AbortController();
    const stream = await fetch(`${c.base}/api/events`, { signal: first.signal });
    expect(stream.status).to.equal(200);
    expect(stream.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
    const reader = stream.body!.getReader();
    let text = '';
    const until = async (part: string) => {
      while (!text.includes(part)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until('event: reload');
    expect((await fetch(`${c.base}/api/events`, { signal: second.signal })).status).to.equal(200);
    const refused = await c.call('GET', '/api/events');
    expect(refused.status).to.equal(503);
    expect(refused.headers.get('retry-after')).to.equal('5');

    await c.call('POST', '/api/flags/watched/enable', { body: '{}', csrf });
    await until('event: change');
    expect(text).to.include('data: {"changed":["watched"],"deleted":[]}');

    expect(c.feed.waiting).to.equal(2);
    second.abort();
    const end = Date.now() + 2000;
    while (c.feed.waiting > 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(c.feed.waiting).to.equal(1);
    const third = new AbortController();
    expect((await fetch(`${c.base}/api/events`, { signal: third.signal })).status).to.equal(200);
    first.abort();
    third.abort();
  });

  it('sessions expire, and the store keeps at most its bound (the oldest goes first)', function () {
    let now = 1_000_000;
    let counter = 0;
    const random = (bytes: number) => Buffer.alloc(bytes, ++counter);
    const sessions = new SessionStore({ ttlMs: 1000, maxSessions: 2, now: () => now, random });
    const a = sessions.create();
    expect(a.id).to.have.length(43);
    expect(sessions.find(a.id)).to.equal(a.session);
    expect(sessions.find(a.id + 'x')).to.equal(undefined);
    now += 999;
    expect(sessions.find(a.id)).to.equal(a.session);
    now += 1;
    expect(sessions.find(a.id)).to.equal(undefined);
    const b = sessions.create();
    const c = sessions.create();
    const d = sessions.create();
    expect(sessions.size).to.equal(2);
    expect(sessions.find(b.id)).to.equal(undefined);
    expect(sessions.find(c.id)).to.equal(c.session);
    expect(sessions.find(d.id)).to.equal(d.session);
    sessions.delete(c.id);
    expect(sessions.find(c.id)).to.equal(undefined);
  });

  it('a token shorter than 16 characters is refused; Bearer parsing takes exactly the token', function () {
    expect(() => new BearerToken('short')).to.throw(/at least 16 characters/);
    const token = new BearerToken(TOKEN);
    expect(token.authorizes(`Bearer ${TOKEN}`)).to.equal(true);
    expect(token.authorizes(`bearer ${TOKEN}`)).to.equal(true);
    expect(token.authorizes(`Basic ${TOKEN}`)).to.equal(false);
    expect(token.authorizes(`Bearer ${TOKEN} extra`)).to.equal(false);
    expect(token.authorizes(undefined)).to.equal(false);
  });
});

describe("the console over HTTP: a flag's history and rollback", function () {
  this.timeout(20_000);
  const consoles: Console[] = [];
  /** A console whose writer records into a memory history log (clock: 1 s a tick from 2026-01-01). */
  const open = async (options: Partial<HttpEndpointsOptions> = {}) => {
    const store = new MemoryFeatureFlagStore();
    let tick = Date.UTC(2026, 0, 1);
    const log = new MemoryHistoryLog(store, { retention: DEFAULT_HISTORY_RETENTION, clock: () => (tick += 1000) });
    await log.open();
    const started = await new Console({ httpWrites: true, ...options }, { store, log }).start();
    consoles.push(started);
    return started;
  };
  const csrfOf = async (c: Console) =>
    (JSON.parse((await c.call('GET', '/api/session')).body) as { csrfToken: string }).csrfToken;
  interface Entry {
    version: number;
    timeMs: number;
    operation?: string;
    actor?: string;
    reason?: string;
    peer?: string;
    rollbackTo?: number;
    before?: string;
    after?: string;
    changes: { field: string; text: string }[];
  }
  const historyOf = async (c: Console, name: string, query = '') => {
    const answer = await c.call('GET', `/api/flags/${name}/history${query}`);
    expect(answer.status, answer.body).to.equal(200);
    return JSON.parse(answer.body) as { entries: Entry[]; more: boolean; revision?: string };
  };

  afterEach(async function () {
    for (const c of consoles.splice(0)) await c.stop();
  });

  it('GET history: entries newest first with their diff lines and stored JSON (NaN kept as text), paged', async function () {
    const c = await open();
    await c.writer.write('h.plan', { operation: 'Create', actor: 'ann' }, () =>
      c.store.create('h.plan', { clientData: { ratio: NaN } }),
    );
    await c.writer.write('h.plan', { operation: 'Set', actor: 'bob', reason: 'launch', peer: '10.0.0.9:5000' }, () =>
      c.store.set('h.plan', true),
    );
    const page = await historyOf(c, 'h.plan');
    expect(page.more).to.equal(false);
    expect(page.revision).to.be.a('string');
    expect(page.entries.map((e) => [e.operation, e.actor, e.reason])).to.deep.equal([
      ['Set', 'bob', 'launch'],
      ['Create', 'ann', undefined],
    ]);
    const [set, created] = page.entries;
    expect(set.peer).to.equal('10.0.0.9:5000');
    expect(set.timeMs).to.equal(Date.UTC(2026, 0, 1, 0, 0, 2));
    expect(set.changes.map((line) => line.text)).to.deep.equal(['state: off → on']);
    expect(created.before).to.equal(undefined);
    expect(created.after).to.include('"ratio": NaN');
    expect(created.changes[0].text).to.equal('created: off, client_data {"ratio": NaN}');

    const first = await historyOf(c, 'h.plan', '?limit=1');
    expect(first.entries.map((e) => e.version)).to.deep.equal([set.version]);
    expect(first.more).to.equal(true);
    const older = await historyOf(c, 'h.plan', `?limit=1&before=${set.version}`);
    expect(older.entries.map((e) => e.version)).to.deep.equal([created.version]);
    expect(older.more).to.equal(false);
    for (const query of ['?limit=0', '?limit=1001', '?limit=x', '?before=-1', '?before=1.5']) {
      const bad = await c.call('GET', `/api/flags/h.plan/history${query}`);
      expect(bad.status, query).to.equal(400);
    }
  });

  it('a console write goes through the write path: recorded with the console action, actor and peer', async function () {
    const c = await open();
    await c.writer.write('h.toggle', { operation: 'Create' }, () => c.store.create('h.toggle'));
    const csrf = await csrfOf(c);
    const answer = await c.call('POST', '/api/flags/h.toggle/enable', { body: '{}', csrf });
    expect(answer.status, answer.body).to.equal(200);
    const [entry] = (await historyOf(c, 'h.toggle')).entries;
    expect(entry.operation).to.equal('Console: enable');
    expect(entry.actor).to.equal('console');
    expect(entry.peer).to.match(/^(::ffff:)?127\.0\.0\.1:\d+$/);
    expect(entry.changes.map((line) => line.text)).to.deep.equal(['state: off → on']);
  });

  it('a logged-in session is recorded by a digest that tells sessions apart and reveals neither cookie nor token', async function () {
    const c = await open({ token: new BearerToken(TOKEN) });
    await c.writer.write('h.session', { operation: 'Create' }, () => c.store.create('h.session'));
    expect((await c.call('GET', '/api/flags/h.session/history')).status).to.equal(401);
    const { cookie, csrf } = await c.login();
    const done = await c.call('PUT', '/api/flags/h.session/client-data', { body: '{"plan": "pro"}', cookie, csrf });
    expect(done.status, done.body).to.equal(200);
    const answer = await c.call('GET', '/api/flags/h.session/history', { cookie });
    const [entry] = (JSON.parse(answer.body) as { entries: Entry[] }).entries;
    expect(entry.operation).to.equal('Console: set client data');
    expect(entry.actor).to.match(/^console session [0-9a-f]{8}$/);
    const secret = cookie.split('=')[1];
    expect(answer.body).not.to.include(secret).and.not.to.include(TOKEN).and.not.to.include(csrf);
    const other = await c.login();
    await c.call('POST', '/api/flags/h.session/enable', { body: '{}', cookie: other.cookie, csrf: other.csrf });
    const [newest] = (
      JSON.parse((await c.call('GET', '/api/flags/h.session/history', { cookie })).body) as { entries: Entry[] }
    ).entries;
    expect(newest.actor)
      .to.match(/^console session [0-9a-f]{8}$/)
      .and.not.to.equal(entry.actor);
  });

  it('POST rollback: CSRF, bad versions, unknown version 404, stale revision 409 (nothing changed), then restored', async function () {
    const c = await open();
    await c.writer.write('h.roll', { operation: 'Create' }, () => c.store.create('h.roll'));
    await c.writer.write('h.roll', { operation: 'Set', actor: 'bob' }, () => c.store.set('h.roll', true));
    const { entries, revision } = await historyOf(c, 'h.roll');
    const created = entries[1].version;
    const csrf = await csrfOf(c);
    const post = (body: string, token = csrf) => c.call('POST', '/api/flags/h.roll/rollback', { body, csrf: token });
    expect((await post(JSON.stringify({ version: created }), '')).status).to.equal(403);
    for (const body of [
      '{}',
      '{"version": 0}',
      '{"version": "1"}',
      '{"version": 1.5}',
      '[1]',
      '{"version": 1, "reason": 3}',
    ]) {
      const bad = await post(body);
      expect(bad.status, body).to.equal(400);
    }
    const unknown = await post(JSON.stringify({ version: 999 }));
    expect(unknown.status).to.equal(404);
    expect(unknown.body).to.include('no recorded change at version 999');
    const gone = await c.call('POST', '/api/flags/h.none/rollback', { body: '{"version": 1}', csrf });
    expect(gone.status).to.equal(404);

    await c.writer.write('h.roll', { operation: 'SetMeta' }, () =>
      c.store.setMeta('h.roll', c.store.peek('h.roll')!.meta.with({ clientData: { late: 1 } })),
    );
    const stale = await post(JSON.stringify({ version: created, expectedRevision: revision }));
    expect(stale.status, stale.body).to.equal(409);
    expect((await c.store.get('h.roll'))!.isEnabled).to.equal(true);
    expect((await historyOf(c, 'h.roll')).entries).to.have.length(3);

    const current = (await historyOf(c, 'h.roll')).revision;
    const done = await post(JSON.stringify({ version: created, expectedRevision: current, reason: ' undo ' }));
    expect(done.status, done.body).to.equal(200);
    const entry = JSON.parse(done.body) as Entry;
    expect(entry).to.include({ operation: 'Console: rollback', actor: 'console', reason: 'undo', rollbackTo: created });
    expect(entry.changes.map((line) => line.text)).to.deep.equal([
      'state: on → off',
      'client_data.late: removed (was 1)',
    ]);
    const restored = (await c.store.get('h.roll'))!;
    expect([restored.isEnabled, restored.meta.clientData]).to.deep.equal([false, {}]);
  });

  it('a server without history answers 501 naming why', async function () {
    const c = await new Console({ httpWrites: true }).start();
    consoles.push(c);
    await c.store.create('h.off');
    const read = await c.call('GET', '/api/flags/h.off/history');
    expect(read.status, read.body).to.equal(501);
    expect(read.body).to.include('keeps no history');
    const roll = await c.call('POST', '/api/flags/h.off/rollback', { body: '{"version": 1}', csrf: await csrfOf(c) });
    expect(roll.status).to.equal(501);
  });
});
