import Redis from 'ioredis';
import { RedisFeatureFlagStore } from '../../client';
import { FlagServer, type FlagServerTlsOptions } from '../../server/flag-server';
import { RedisChangeLog } from '../../server/feed/redis-change-log';
import { RedisHistoryLog } from '../../server/history/redis-history-log';
import { DEFAULT_HISTORY_RETENTION } from '../../shared/model/history';
import { quietLogger } from './rpc-served';

/** A flag server that records history, listening on loopback. */
export interface HistoryServer {
  port: number;
  /** The flags' Redis key prefix (unique to this server). */
  baseKey: string;
  /** Stops the server, closes its logs and removes its Redis keys. */
  close(): Promise<void>;
}

let started = 0;

/**
 * A `FlagServer` over Redis (a base key of its own, containing `name`) with its `RedisHistoryLog`,
 * entries timed by `clock`, serving TLS when `tls` is given. In this process so the tests set the
 * clock the entries are timed by (a `flipper-server` process records history the same way); the tests'
 * clients, the `flipper` command among them, reach it over TCP as they reach a server process.
 */
export async function startHistoryServer(
  name: string,
  clock: () => number,
  tls?: FlagServerTlsOptions,
): Promise<HistoryServer> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
  const baseKey = `flipper_${name}_${process.pid}_${Date.now()}_${started++}`;
  const options = { baseKey, logger: quietLogger, retention: DEFAULT_HISTORY_RETENTION };
  const changeLog = new RedisChangeLog(redis, options);
  const history = new RedisHistoryLog(redis, { ...options, clock });
  await history.open();
  const server = new FlagServer({
    port: 0,
    logger: quietLogger,
    store: new RedisFeatureFlagStore(redis, { baseKey }),
    changeLog,
    history,
    ...(tls !== undefined && { tls }),
  });
  const { port } = await server.listen();
  return {
    port,
    baseKey,
    close: async () => {
      await server.close();
      await history.close();
      await changeLog.close();
      const keys = await redis.keys(`${baseKey}[/:]*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}
