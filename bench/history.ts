import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Pool } from 'pg';
import pino from 'pino';
import { ThriftRPCFeatureFlagStore } from '../client';
import { FlagServer } from '../server/flag-server';
import { openHistoryLog } from '../server/history/open-history-log';
import { openStore } from '../server/store-url';
import { DEFAULT_HISTORY_RETENTION } from '../shared/model/history';
import { report } from './harness';

const logger = pino({ level: 'silent' });
const ROUNDS = 5;

/** A flag server over `spec`, with history or without, and an RPC store talking to it. */
async function served(spec: string, baseKey: string, history: boolean) {
  const opened = await openStore(spec, { baseKey, logger });
  const log = history
    ? openHistoryLog(spec, opened.store, { baseKey, logger, retention: DEFAULT_HISTORY_RETENTION })
    : undefined;
  await log?.open();
  const server = new FlagServer({ store: opened.store, port: 0, logger, history: log });
  const { port } = await server.listen();
  const rpc = new ThriftRPCFeatureFlagStore({ port });
  return {
    rpc,
    close: async () => {
      await rpc.close();
      await server.close();
      await log?.close();
      await opened.close();
    },
  };
}

/**
 * One write through a flag server (a `Set` that changes the flag, so each one is recorded), with
 * history against the same server without it (`--history-limit 0`), on one backend. The two
 * servers are driven in alternating rounds, so a drift of the machine's load falls on both; each
 * figure is the best round.
 */
async function compare(backend: string, spec: string, baseKey: string, calls: number): Promise<void> {
  const withHistory = await served(spec, `${baseKey}_h`, true);
  const without = await served(spec, `${baseKey}_n`, false);
  try {
    await withHistory.rpc.create('bench');
    await without.rpc.create('bench');
    let best = { with: 0, without: 0 };
    const round = async (rpc: ThriftRPCFeatureFlagStore) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) await rpc.set('bench', i % 2 === 0);
      return calls / (Number(process.hrtime.bigint() - start) / 1e9);
    };
    await round(withHistory.rpc);
    await round(without.rpc);
    for (let r = 0; r < ROUNDS; r++) {
      best = {
        with: Math.max(best.with, await round(withHistory.rpc)),
        without: Math.max(best.without, await round(without.rpc)),
      };
    }
    report(`${backend}: a write through the server, history on`, best.with, best.without, 'the same, history off', 1.3);
  } finally {
    await withHistory.close();
    await without.close();
  }
}

/** Issue 14: what recording the history costs a write, per backend. */
export async function runHistoryBench(): Promise<void> {
  const run = `bench_history_${process.pid}_${randomBytes(3).toString('hex')}`;
  console.log(
    '\n# History: a Set through the server, recorded against --history-limit 0 (alternating rounds, best of each)',
  );
  await compare('memory', 'memory', run, 3000);
  const dir = mkdtempSync(join(tmpdir(), 'flipper-bench-history-'));
  try {
    await compare('SQLite', `sqlite:${join(dir, 'flags.db')}`, run, 2000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await compare('Redis', 'redis://127.0.0.1:6379', run, 2000);
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  try {
    const keys = await redis.keys(`${run}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
  await compare('PostgreSQL', 'postgres://postgres@127.0.0.1:5432/test', run, 1000);
  const pool = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
  try {
    const { rows } = await pool.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE tablename LIKE $1`,
      [`${run}%`],
    );
    for (const { tablename } of rows) await pool.query(`DROP TABLE IF EXISTS "${tablename}" CASCADE`);
  } finally {
    await pool.end();
  }
}
