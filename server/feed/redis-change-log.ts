import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { escapeGlob } from '../../client/stores/redis-store';
import { withDeadline } from '../../client/calls/deadline';
import type { FlipperLogger } from '../../shared/logger';
import type { ChangeLog, ChangeSignal, ChangesSince } from './change-log';
import { PeriodicHint } from './local-change-log';

export interface RedisChangeLogOptions {
  /** The flags' key prefix (`<baseKey>/<name>`). Default `features`. */
  baseKey?: string;
  logger: FlipperLogger;
  /** Without keyspace notifications, a full resync this often, in ms. Default 30000. */
  resyncIntervalMs?: number;
  /** Deadline of each command, in ms. Default 2000. */
  commandTimeoutMs?: number;
}

/**
 * Versions every change of a flag exactly once, whoever wrote it: compares each named flag's
 * stored text (its SHA-1) with the one last versioned, and only a difference takes the next
 * version (INCR) and moves the flag to it in the log (a sorted set, one member per flag). Atomic in
 * Redis, so two servers recording the same change give it one version.
 * KEYS: head, digests, log. ARGV: the flags' key prefix, then names.
 */
const RECORD = `
local prefix = ARGV[1]
for i = 2, #ARGV do
  local name = ARGV[i]
  local value = redis.call('GET', prefix .. name)
  local digest = value and redis.sha1hex(value) or '-'
  local known = redis.call('HGET', KEYS[2], name) or '-'
  if known ~= digest then
    local version = redis.call('INCR', KEYS[1])
    redis.call('HSET', KEYS[2], name, digest)
    redis.call('ZADD', KEYS[3], version, name)
  end
end
return 0`;

/**
 * The store id (made when missing: a new Redis, or one that was flushed), the head, and the flags
 * past a version, read at one instant. KEYS: id, head, log. ARGV: a new id, the version.
 */
const CHANGES_SINCE = `
local id = redis.call('GET', KEYS[1])
if not id then
  id = ARGV[1]
  redis.call('SET', KEYS[1], id)
end
local head = redis.call('GET', KEYS[2]) or '0'
local changes = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[2], '+inf', 'WITHSCORES')
return {id, head, changes}`;

const BATCH = 200;

/**
 * The change log of a Redis: versions kept in Redis beside the flags (`<baseKey>:feed:*` keys,
 * outside the `<baseKey>/*` names the Python library and our store list), so every server over
 * it agrees and a replica can move between them. The signal is Redis keyspace notifications on
 * `<baseKey>/*`, which catch every writer (a Python service included): enabled with CONFIG SET
 * when they are off and the server may; otherwise a full resync every `resyncIntervalMs`.
 */
export class RedisChangeLog implements ChangeLog {
  private readonly baseKey: string;
  private readonly keys: { id: string; head: string; digests: string; log: string };
  private subscriber: Redis | undefined;
  private periodic: PeriodicHint | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisChangeLogOptions,
  ) {
    this.baseKey = options.baseKey ?? 'features';
    const k = `${this.baseKey}:feed`;
    this.keys = { id: `${k}:id`, head: `${k}:head`, digests: `${k}:digests`, log: `${k}:log` };
    this.timeoutMs = options.commandTimeoutMs ?? 2000;
  }

  async start(onSignal: ChangeSignal): Promise<void> {
    await this.close(); // a start that failed halfway may have left a subscriber
    const resyncMs = this.options.resyncIntervalMs ?? 30_000;
    const enabled = await this.enableNotifications();
    if (!enabled.ok) {
      this.options.logger.warn(
        { reason: enabled.reason, resyncIntervalMs: resyncMs },
        'change feed: Redis keyspace notifications are off and cannot be turned on; ' +
          'changes made by other writers arrive with a periodic full resync',
      );
      this.periodic = new PeriodicHint(resyncMs);
      this.periodic.start(onSignal);
      return;
    }
    const subscriber = this.redis.duplicate({ lazyConnect: true, enableOfflineQueue: true });
    this.subscriber = subscriber;
    subscriber.on('error', () => {}); // reconnects by itself; a reconnect resyncs (below)
    const db = (this.redis.options.db as number | undefined) ?? 0;
    const channelPrefix = `__keyspace@${db}__:${this.baseKey}/`;
    let pending: Set<string> | undefined;
    subscriber.on('pmessage', (_pattern: string, channel: string) => {
      const name = channel.slice(channelPrefix.length);
      // Notifications of one burst go out as one signal.
      if (pending === undefined) {
        pending = new Set();
        const names = pending;
        queueMicrotask(() => {
          pending = undefined;
          onSignal([...names]);
        });
      }
      pending.add(name);
    });
    let readyBefore = false;
    subscriber.on('ready', () => {
      // Messages published while the subscriber was away are lost: resync after a reconnect.
      if (readyBefore) onSignal();
      readyBefore = true;
    });
    await subscriber.connect();
    await subscriber.psubscribe(`__keyspace@${db}__:${escapeGlob(this.baseKey)}/*`);
  }

  /** Turns on keyspace events for string and generic commands (keeping those already on). */
  private async enableNotifications(): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      const [, current = ''] = (await this.command(this.redis.config('GET', 'notify-keyspace-events'))) as string[];
      const has = (c: string) => current.includes(c);
      if (has('K') && (has('A') || (has('g') && has('$')))) return { ok: true };
      const wanted = [...new Set([...current, 'K', 'g', '$'])].join('');
      await this.command(this.redis.config('SET', 'notify-keyspace-events', wanted));
      this.options.logger.info({ notifyKeyspaceEvents: wanted }, 'change feed: turned on Redis keyspace notifications');
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  }

  async record(names: readonly string[] | 'all'): Promise<void> {
    const list = names === 'all' ? await this.allNames() : [...names];
    for (let i = 0; i < list.length; i += BATCH) {
      const args = [this.keys.head, this.keys.digests, this.keys.log, `${this.baseKey}/`, ...list.slice(i, i + BATCH)];
      await this.script(RECORD, 3, args);
    }
  }

  async changesSince(version: number): Promise<ChangesSince> {
    const args = [this.keys.id, this.keys.head, this.keys.log, randomUUID(), String(version)];
    const [storeId, head, flat] = (await this.script(CHANGES_SINCE, 3, args)) as [string, string, string[]];
    const changes = [];
    for (let i = 0; i < flat.length; i += 2) changes.push({ name: flat[i], version: Number(flat[i + 1]) });
    return { storeId, head: Number(head), changes };
  }

  async close(): Promise<void> {
    this.periodic?.close();
    this.periodic = undefined;
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  /** Names stored now, and names versioned before (so a deletion is seen). */
  private async allNames(): Promise<string[]> {
    const names = new Set<string>(await this.command(this.redis.hkeys(this.keys.digests)));
    const prefix = this.baseKey.length + 1;
    let cursor = '0';
    do {
      const [next, keys] = await this.command(
        this.redis.scan(cursor, 'MATCH', `${escapeGlob(this.baseKey)}/*`, 'COUNT', 1000),
      );
      for (const key of keys) names.add(key.slice(prefix));
      cursor = next;
    } while (cursor !== '0');
    return [...names];
  }

  private async script(source: string, keys: number, args: string[]): Promise<unknown> {
    const sha = digestOf(source);
    try {
      return await this.command(this.redis.evalsha(sha, keys, ...args));
    } catch (error) {
      if (!/^NOSCRIPT/.test((error as Error)?.message ?? '')) throw error;
      return await this.command(this.redis.eval(source, keys, ...args));
    }
  }

  private command<T>(promise: Promise<T>): Promise<T> {
    return withDeadline(promise, this.timeoutMs, 'A Redis command of the change feed');
  }
}

const digests = new Map<string, string>();
function digestOf(source: string): string {
  let sha = digests.get(source);
  if (sha === undefined) digests.set(source, (sha = createHash('sha1').update(source).digest('hex')));
  return sha;
}
