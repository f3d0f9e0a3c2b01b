import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { escapeGlob } from '../../client/stores/redis-store';
import { withDeadline } from '../../client/calls/deadline';
import { InvalidArgumentError } from '../../shared';
import { contextToJson } from '../history/recorded-context-json';
import { DEFAULT_HISTORY_RETENTION, type HistoryRetention, type RecordedContext } from '../../shared/model/history';

/**
 * The one place a Redis version is assigned, and with it the flag's history entry, in one script so
 * a version never exists without its entry and two servers recording one change give it one of
 * each. For each named flag, the SHA-1 of its stored text is compared with the digest last
 * versioned; only a difference takes the next version (INCR), moves the flag in the log (a sorted
 * set, one member per flag) and pushes an entry onto the flag's history (a list, newest first),
 * then trims the list to the retention (count, then age: the newest entry always stays).
 *
 * An entry is JSON made here by concatenation, so the stored texts are kept byte for byte (as JSON
 * strings: cjson only escapes them) and numbers are written as integers (`%d`: cjson would write
 * `%.14g`). `before` is the `after` of the list's head, when that is the value last versioned;
 * otherwise a change went unrecorded (a server of a version before history, a list deleted), and
 * with no list a flag already versioned (or met by the baseline pass) existed before any entry:
 * both `beforeUnknown`. The context is kept as a
 * JSON string, so the script never parses what a writer declared.
 *
 * With a context (a write through this server) and no change found, another server may have
 * recorded the write first, as made outside any server (woken by the keyspace notification): the
 * context is attached to the head entry when it has none, was recorded within the attach window,
 * and its `after` is the value now.
 *
 * KEYS: head, digests, log. ARGV: flag key prefix, history key prefix, entries kept (0: history
 * off, versions only; a server with history finds the gap by the digest), maximum age (ms), now (ms; empty: Redis TIME), context JSON (empty: none), attach window (ms), baseline
 * ('1': a flag with neither digest nor history existed before any entry), the SHA-1 of the value
 * the writer stored (`-` for a delete; empty: whatever is found is the writer's), then names.
 * Returns the number of entries pushed or given a context.
 */
const RECORD = `
local flagPrefix, historyPrefix = ARGV[1], ARGV[2]
local maxEntries, maxAge = tonumber(ARGV[3]), tonumber(ARGV[4])
local now = tonumber(ARGV[5])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local context, attachWindow, baseline, expected = ARGV[6], tonumber(ARGV[7]), ARGV[8] == '1', ARGV[9]
local cutoff = now - maxAge

local function decode(entry)
  if not entry then return nil end
  local ok, decoded = pcall(cjson.decode, entry)
  if ok and type(decoded) == 'table' then return decoded end
  return nil
end
-- An entry's fields are written in one order (version, time, before or beforeUnknown, after,
-- context), and its strings are JSON-encoded, so ',"after":' and ',"context":' never occur inside
-- them: plain finds locate the fields.
local function headVersion(entry)
  return string.match(entry, '^{"version":(%d+),')
end
local function encodedAfter(entry)
  local from = string.find(entry, ',"after":', 1, true)
  if not from then return nil end
  local to = string.find(entry, ',"context":', from, true) or #entry
  return string.sub(entry, from + 9, to - 1)
end
local function text(name, value)
  return ',"' .. name .. '":' .. cjson.encode(value)
end

local touched = 0
for i = 10, #ARGV do
  local name = ARGV[i]
  local value = redis.call('GET', flagPrefix .. name)
  local digest = value and redis.sha1hex(value) or '-'
  -- The context is the writer's only when the value is what it wrote (another writer may have
  -- landed first: then what is found is theirs, made outside this write).
  local ours = context ~= '' and (expected == '' or expected == digest)
  local known = redis.call('HGET', KEYS[2], name)
  local history = historyPrefix .. name
  if (known or '-') ~= digest then
    local lastVersion = redis.call('ZSCORE', KEYS[3], name)
    local version = redis.call('INCR', KEYS[1])
    redis.call('HSET', KEYS[2], name, digest)
    redis.call('ZADD', KEYS[3], version, name)
    if maxEntries > 0 then
      local entry = '{"version":' .. string.format('%d', version) .. ',"time":' .. string.format('%d', now)
      local head = redis.call('LINDEX', history, 0)
      if head then
        -- The head is the last versioned state when its version is the flag's last version; its
        -- after, already encoded, is then this entry's before, copied as it is (no decode).
        if headVersion(head) ~= lastVersion then
          entry = entry .. ',"beforeUnknown":true'
        else
          local after = encodedAfter(head)
          if after then entry = entry .. ',"before":' .. after end
        end
      elseif (known and known ~= '-') or (baseline and not known and value) then
        entry = entry .. ',"beforeUnknown":true'
      end
      if value then entry = entry .. text('after', value) end
      if ours then entry = entry .. text('context', context) end
      local length = redis.call('LPUSH', history, entry .. '}')
      if length > maxEntries then
        redis.call('LTRIM', history, 0, maxEntries - 1)
        length = maxEntries
      end
      -- Oldest first; the entry just pushed (time now) ends the loop, so the newest always stays.
      -- Every 16th version only: reading the tail is most of the trim's cost, and readers hide
      -- entries past the age meanwhile.
      while length > 1 and version % 16 == 0 do
        local time = tonumber(string.match(redis.call('LINDEX', history, -1), '^{"version":%d+,"time":(%d+)'))
        if not (time and time < cutoff) then break end
        redis.call('RPOP', history)
        length = length - 1
      end
      touched = touched + 1
    end
  elseif ours then
    local head = redis.call('LINDEX', history, 0)
    local newest = decode(head)
    if newest and newest.context == nil and type(newest.time) == 'number' and newest.time >= now - attachWindow
        and (newest.after or false) == value then
      redis.call('LSET', history, 0, string.sub(head, 1, -2) .. text('context', context) .. '}')
      touched = touched + 1
    end
  end
end
return touched`;

/** Flags named to one run of the script (each run is atomic in Redis, and blocks it meanwhile). */
const BATCH = 200;

/**
 * How long after another server recorded a change as made outside any server the writer may still
 * claim it (attach its context): the time from a write to its `recordWrite`, with room for a slow
 * event loop, and short, since within it a write that changed nothing would claim a direct write
 * of the same value.
 */
const ATTACH_WINDOW_MS = 5000;

export interface RedisRecorderOptions {
  /** The flags' key prefix (`<baseKey>/<name>`). Default `features`. */
  baseKey?: string;
  /** Deadline of each command, in ms. Default 2000. */
  commandTimeoutMs?: number;
  /** How much history each recording keeps. Default `DEFAULT_HISTORY_RETENTION`. */
  retention?: HistoryRetention;
  /** The time of entries and of the age cutoff, in ms since the epoch. Default: Redis `TIME`. */
  clock?: () => number;
}

/**
 * Records changes of the flags of one base key in Redis: their versions (`<baseKey>:feed:*`) and
 * their history (`<baseKey>:history:<name>`), both outside `<baseKey>/*`, the names the Python
 * library and our store list (and the keyspace notifications the change feed follows). Used by
 * the change log (changes found, made outside any server) and by the history log (a write
 * through this server, with its context).
 */
export class RedisRecorder {
  readonly baseKey: string;
  readonly keys: { id: string; head: string; digests: string; log: string; baseline: string };
  /** The prefix of the history lists, `<baseKey>:history:`. */
  readonly historyPrefix: string;
  readonly retention: HistoryRetention;
  private readonly timeoutMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisRecorderOptions = {},
  ) {
    this.baseKey = options.baseKey ?? 'features';
    const k = `${this.baseKey}:feed`;
    this.keys = {
      id: `${k}:id`,
      head: `${k}:head`,
      digests: `${k}:digests`,
      log: `${k}:log`,
      baseline: `${k}:history-baseline`,
    };
    this.historyPrefix = `${this.baseKey}:history:`;
    this.timeoutMs = options.commandTimeoutMs ?? 2000;
    this.retention = validateRetention(options.retention ?? DEFAULT_HISTORY_RETENTION);
  }

  /**
   * Versions the changes of these flags (all, with `'all'`: those stored and those versioned
   * before, so a deletion is seen), each with its history entry. With `context`, the changes
   * are a write through this server, and claim an entry another server recorded first; with
   * `written` too (the text it stored, `null` for a delete), only when the value is that.
   */
  async record(
    names: readonly string[] | 'all',
    how: { context?: RecordedContext; baseline?: boolean; written?: string | null } = {},
  ): Promise<number> {
    const list = names === 'all' ? await this.allNames() : [...names];
    const { maxEntriesPerFlag, maxAgeMs } = this.retention;
    const fixed = [
      `${this.baseKey}/`,
      this.historyPrefix,
      String(maxEntriesPerFlag),
      String(maxAgeMs),
      this.options.clock ? String(Math.floor(this.options.clock())) : '',
      contextToJson(how.context) ?? '',
      String(ATTACH_WINDOW_MS),
      how.baseline ? '1' : '0',
      how.written === undefined
        ? ''
        : how.written === null
          ? '-'
          : createHash('sha1').update(how.written).digest('hex'),
    ];
    let touched = 0;
    for (let i = 0; i < list.length; i += BATCH) {
      const args = [this.keys.head, this.keys.digests, this.keys.log, ...fixed, ...list.slice(i, i + BATCH)];
      touched += Number(await this.script(RECORD, 3, args));
    }
    return touched;
  }

  /** Names stored now, and names versioned before. */
  async allNames(): Promise<string[]> {
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

  /** Caches the recording script in Redis (the first recording then sends only its digest). */
  async loadScript(): Promise<void> {
    await this.command(this.redis.script('LOAD', RECORD));
  }

  /** Runs a script by its digest, sending it whole the first time on this Redis (or after SCRIPT FLUSH). */
  async script(source: string, keys: number, args: string[]): Promise<unknown> {
    const sha = digestOf(source);
    try {
      return await this.command(this.redis.evalsha(sha, keys, ...args));
    } catch (error) {
      if (!/^NOSCRIPT/.test((error as Error)?.message ?? '')) throw error;
      return await this.command(this.redis.eval(source, keys, ...args));
    }
  }

  command<T>(promise: Promise<T>): Promise<T> {
    return withDeadline(promise, this.timeoutMs, 'A Redis command of the change feed');
  }
}

function validateRetention(retention: HistoryRetention): HistoryRetention {
  const { maxEntriesPerFlag, maxAgeMs } = retention;
  if (!Number.isSafeInteger(maxEntriesPerFlag) || maxEntriesPerFlag < 0) {
    throw new InvalidArgumentError(
      `history retention: maxEntriesPerFlag must be a whole number ≥ 0, got ${maxEntriesPerFlag}`,
    );
  }
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs < 0) {
    throw new InvalidArgumentError(`history retention: maxAgeMs must be a whole number of ms ≥ 0, got ${maxAgeMs}`);
  }
  return retention;
}

const digests = new Map<string, string>();
function digestOf(source: string): string {
  let sha = digests.get(source);
  if (sha === undefined) digests.set(source, (sha = createHash('sha1').update(source).digest('hex')));
  return sha;
}
