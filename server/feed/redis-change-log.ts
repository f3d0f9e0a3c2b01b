import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { escapeGlob } from '../../client/stores/redis-store';
import type { FlipperLogger } from '../../shared/logger';
import type { HistoryRetention } from '../../shared/model/history';
import type { ChangeLog, ChangeSignal, ChangesSince } from './change-log';
import { PeriodicHint } from './local-change-log';
import { RedisRecorder } from './redis-recorder';

export interface RedisChangeLogOptions {
  /** The flags' key prefix (`<baseKey>/<name>`). Default `features`. */
  baseKey?: string;
  logger: FlipperLogger;
  /** Without keyspace notifications, a full resync this often, in ms. Default 30000. */
  resyncIntervalMs?: number;
  /** Deadline of each command, in ms. Default 2000. */
  commandTimeoutMs?: number;
  /** History kept by each recording (a version and its history entry are made together). Default `DEFAULT_HISTORY_RETENTION`. */
  retention?: HistoryRetention;
}

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

/**
 * The change log of a Redis: versions kept in Redis beside the flags (`<baseKey>:feed:*` keys,
 * outside the `<baseKey>/*` names the Python library and our store list), so every server over
 * it agrees and a replica can move between them. Versions are assigned by `RedisRecorder`, with
 * the flags' history entries; the changes it finds here are made outside any server (a write
 * through a server is claimed by its `RedisHistoryLog.recordWrite`). The signal is Redis keyspace notifications on
 * `<baseKey>/*`, which catch every writer (a Python service included): enabled with CONFIG SET
 * when they are off and the server may; otherwise a full resync every `resyncIntervalMs`.
 */
export class RedisChangeLog implements ChangeLog {
  private readonly baseKey: string;
  private readonly recorder: RedisRecorder;
  private subscriber: Redis | undefined;
  private periodic: PeriodicHint | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisChangeLogOptions,
  ) {
    this.recorder = new RedisRecorder(redis, options);
    this.baseKey = this.recorder.baseKey;
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
      const [, current = ''] = (await this.recorder.command(
        this.redis.config('GET', 'notify-keyspace-events'),
      )) as string[];
      const has = (c: string) => current.includes(c);
      if (has('K') && (has('A') || (has('g') && has('$')))) return { ok: true };
      const wanted = [...new Set([...current, 'K', 'g', '$'])].join('');
      await this.recorder.command(this.redis.config('SET', 'notify-keyspace-events', wanted));
      this.options.logger.info({ notifyKeyspaceEvents: wanted }, 'change feed: turned on Redis keyspace notifications');
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  }

  async record(names: readonly string[] | 'all'): Promise<void> {
    await this.recorder.record(names);
  }

  async changesSince(version: number): Promise<ChangesSince> {
    const { id, head: headKey, log } = this.recorder.keys;
    const args = [id, headKey, log, randomUUID(), String(version)];
    const [storeId, head, flat] = (await this.recorder.script(CHANGES_SINCE, 3, args)) as [string, string, string[]];
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
}
