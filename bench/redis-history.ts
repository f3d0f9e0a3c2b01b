import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { RedisFeatureFlagStore } from '../client';
import { withWriteContext } from '../client/calls/write-context';
import { RedisRecorder } from '../server/feed/redis-recorder';
import { RedisHistoryLog } from '../server/history/redis-history-log';
import { DEFAULT_HISTORY_RETENTION } from '../shared/model/history';
import { report } from './harness';

const CALLS = 3000;

/** The baseline: the versioning script as it was before history (no entry), from server/feed/redis-change-log.ts at 6e31ab8. */
const VERSION_ONLY = `
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

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * A write through a Redis flag server with history (the write in its context, then `recordWrite`:
 * a version and its history entry in one script) against the same write recorded as before
 * history (the change log's version only, no entry), in µs per write, median of CALLS. The two
 * alternate call by call, so a drift of the machine's load falls on both. Every write changes the
 * flag, so each one takes a version and an entry (trimmed at the default 1000 per flag).
 */
export async function runRedisHistoryBench(): Promise<{ withHistoryUs: number; versionOnlyUs: number }> {
  const baseKey = `bench_history_${process.pid}_${randomBytes(3).toString('hex')}`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const logger = pino({ level: 'silent' });
  try {
    const store = new RedisFeatureFlagStore(redis, { baseKey });
    const history = new RedisHistoryLog(redis, { baseKey, logger, retention: DEFAULT_HISTORY_RETENTION });
    // Its keys, and its way of sending a script (EVALSHA, with the deadline), are the recorder's.
    const recorder = new RedisRecorder(redis, { baseKey });
    const { head, digests, log } = recorder.keys;
    await history.open();
    await store.create('with-history');
    await store.create('version-only');
    const context = { operation: 'Set', actor: 'bench', reason: 'measuring', peer: '127.0.0.1:5000' };
    const withHistory = async (i: number) => {
      await withWriteContext(context, () => store.set('with-history', i % 2 === 0));
      await history.recordWrite('with-history', context);
    };
    // Before history: the write, then its recording (a version, no entry).
    const versionOnly = async (i: number) => {
      await store.set('version-only', i % 2 === 0);
      await recorder.script(VERSION_ONLY, 3, [head, digests, log, `${baseKey}/`, 'version-only']);
    };
    const timed = async (write: (i: number) => Promise<void>, i: number) => {
      const start = process.hrtime.bigint();
      await write(i);
      return Number(process.hrtime.bigint() - start) / 1000;
    };
    for (let i = 0; i < 300; i++) {
      await withHistory(i);
      await versionOnly(i);
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      a.push(await timed(withHistory, i));
      b.push(await timed(versionOnly, i));
    }
    const withHistoryUs = median(a);
    const versionOnlyUs = median(b);
    report(
      'Redis: a write with its history entry',
      1e6 / withHistoryUs,
      1e6 / versionOnlyUs,
      'the write + its version only',
      1.3,
    );
    console.log(
      `  median µs per write: with history ${withHistoryUs.toFixed(0)}, version only ${versionOnlyUs.toFixed(0)}`,
    );
    return { withHistoryUs, versionOnlyUs };
  } finally {
    const keys = await redis.keys(`${baseKey}[/:]*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
}

if (require.main === module) {
  runRedisHistoryBench().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
