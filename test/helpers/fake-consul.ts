import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One key as Consul's KV store keeps it. */
interface KvEntry {
  value: Buffer;
  flags: number;
  createIndex: number;
  modifyIndex: number;
}

interface Waiter {
  prefix: string;
  recurse: boolean;
  index: number;
  wake: () => void;
}

const MAX_VALUE_BYTES = 512 * 1024;
const DEFAULT_WAIT_MS = 5 * 60 * 1000;
const MAX_WAIT_MS = 10 * 60 * 1000;

/**
 * A stand-in for a Consul agent's KV HTTP API, as Consul documents it, for the endpoints the
 * Consul store uses: `GET /v1/kv/<key>` (with `?recurse`, `?raw`, `?keys`, and blocking queries by
 * `?index=N&wait=<duration>`), `PUT /v1/kv/<key>` (raw body, `?flags`, `?cas`) answering `true`,
 * and `DELETE /v1/kv/<key>` (with `?recurse`). Values travel base64-encoded in `Value`; every
 * answer carries `X-Consul-Index`, the highest modify index of the keys read (tombstones of deleted
 * keys included), as Consul computes it, so a blocking query on a prefix wakes only when something
 * under the prefix changes. Tests change keys directly (`put`, `remove`) as another process would,
 * and inject faults (`failNext`).
 */
export class FakeConsul {
  port = 0;
  /** Requests received, as `METHOD path?query`. */
  readonly requests: string[] = [];
  /** The same, with when each arrived (`Date.now()`). */
  readonly requestTimes: Array<{ request: string; at: number }> = [];
  private readonly kv = new Map<string, KvEntry>();
  private readonly tombstones = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private readonly sockets = new Set<Socket>();
  private raftIndex = 1;
  private failures: number[] = [];
  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  constructor() {
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** Open client connections (keep-alive ones included). */
  get connections(): number {
    return this.sockets.size;
  }

  /** Blocking queries being held. */
  get blockedQueries(): number {
    return this.waiters.size;
  }

  /** The next `count` requests are answered with `status` (500 by default), as an agent that lost its leader. */
  failNext(count: number, status = 500): void {
    for (let i = 0; i < count; i++) this.failures.push(status);
  }

  /** Stores a value directly, as another process would. */
  put(key: string, value: string | Buffer): void {
    const index = ++this.raftIndex;
    const old = this.kv.get(key);
    this.kv.set(key, {
      value: Buffer.from(value),
      flags: old?.flags ?? 0,
      createIndex: old?.createIndex ?? index,
      modifyIndex: index,
    });
    this.tombstones.delete(key);
    this.changed(key);
  }

  /** Deletes a key directly, as another process would. */
  remove(key: string): void {
    if (!this.kv.delete(key)) return;
    const index = ++this.raftIndex;
    this.tombstones.set(key, index);
    this.changed(key);
  }

  /** The stored value, or undefined. */
  value(key: string): string | undefined {
    return this.kv.get(key)?.value.toString('utf8');
  }

  async close(): Promise<void> {
    for (const waiter of this.waiters) waiter.wake();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://consul');
    const request = `${req.method} ${url.pathname}${url.search}`;
    this.requests.push(request);
    this.requestTimes.push({ request, at: Date.now() });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const failure = this.failures.shift();
      if (failure !== undefined) return reply(res, failure, 'text/plain', 'injected failure');
      if (!url.pathname.startsWith('/v1/kv/')) return reply(res, 404, 'text/plain', 'unknown endpoint');
      const key = decodeURIComponent(url.pathname.slice('/v1/kv/'.length));
      const query = url.searchParams;
      if (req.method === 'GET') return this.get(req, res, key, query);
      if (req.method === 'PUT') return this.putRequest(res, key, query, Buffer.concat(chunks));
      if (req.method === 'DELETE') return this.deleteRequest(res, key, query);
      reply(res, 405, 'text/plain', 'method not allowed');
    });
  }

  private get(req: IncomingMessage, res: ServerResponse, key: string, query: URLSearchParams): void {
    const recurse = query.has('recurse') || query.has('keys');
    const index = Number(query.get('index') ?? 0);
    if (index > 0 && this.indexOf(key, recurse) <= index) {
      const wait = Math.min(parseDuration(query.get('wait')) ?? DEFAULT_WAIT_MS, MAX_WAIT_MS);
      const waiter: Waiter = { prefix: key, recurse, index, wake: () => {} };
      const timer = setTimeout(() => waiter.wake(), wait);
      waiter.wake = () => {
        clearTimeout(timer);
        if (!this.waiters.delete(waiter)) return;
        if (!res.destroyed) this.answerGet(res, key, query, recurse);
      };
      this.waiters.add(waiter);
      res.on('close', () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      });
      return;
    }
    this.answerGet(res, key, query, recurse);
  }

  private answerGet(res: ServerResponse, key: string, query: URLSearchParams, recurse: boolean): void {
    res.setHeader('X-Consul-Index', String(this.indexOf(key, recurse)));
    res.setHeader('X-Consul-KnownLeader', 'true');
    res.setHeader('X-Consul-LastContact', '0');
    const keys = [...this.kv.keys()].filter((k) => (recurse ? k.startsWith(key) : k === key)).sort(byBytes);
    if (keys.length === 0) return reply(res, 404, 'text/plain', '');
    if (query.has('keys')) return reply(res, 200, 'application/json', JSON.stringify(keys));
    if (query.has('raw')) return reply(res, 200, 'application/octet-stream', this.kv.get(keys[0])!.value);
    const body = keys.map((k) => {
      const entry = this.kv.get(k)!;
      return {
        LockIndex: 0,
        Key: k,
        Flags: entry.flags,
        Value: entry.value.length === 0 ? null : entry.value.toString('base64'),
        CreateIndex: entry.createIndex,
        ModifyIndex: entry.modifyIndex,
      };
    });
    reply(res, 200, 'application/json', JSON.stringify(body));
  }

  private putRequest(res: ServerResponse, key: string, query: URLSearchParams, body: Buffer): void {
    if (key === '') return reply(res, 400, 'text/plain', 'Missing key name');
    if (body.length > MAX_VALUE_BYTES) return reply(res, 413, 'text/plain', 'Value exceeds 524288 byte limit');
    if (query.has('cas')) {
      const cas = Number(query.get('cas'));
      const current = this.kv.get(key);
      if ((cas === 0 && current) || (cas !== 0 && current?.modifyIndex !== cas)) {
        return reply(res, 200, 'application/json', 'false');
      }
    }
    this.put(key, body);
    if (query.has('flags')) this.kv.get(key)!.flags = Number(query.get('flags'));
    reply(res, 200, 'application/json', 'true');
  }

  private deleteRequest(res: ServerResponse, key: string, query: URLSearchParams): void {
    const keys = query.has('recurse') ? [...this.kv.keys()].filter((k) => k.startsWith(key)) : [key];
    for (const k of keys) this.remove(k);
    reply(res, 200, 'application/json', 'true');
  }

  /** Consul's X-Consul-Index of a read: the highest modify or delete index under it, else the store's. */
  private indexOf(key: string, recurse: boolean): number {
    let max = 0;
    const matches = (k: string) => (recurse ? k.startsWith(key) : k === key);
    for (const [k, entry] of this.kv) if (matches(k)) max = Math.max(max, entry.modifyIndex);
    for (const [k, index] of this.tombstones) if (matches(k)) max = Math.max(max, index);
    return max || this.raftIndex;
  }

  private changed(key: string): void {
    for (const waiter of [...this.waiters]) {
      const hit = waiter.recurse ? key.startsWith(waiter.prefix) : key === waiter.prefix;
      if (hit) waiter.wake();
    }
  }
}

function reply(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.end(body);
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Consul's duration syntax (`10s`, `100ms`, `5m`) in milliseconds. */
function parseDuration(text: string | null): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)?$/.exec(text ?? '');
  if (!match) return undefined;
  const unit = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 }[match[2] ?? 's']!;
  return Number(match[1]) * unit;
}
