import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { MemoryFeatureFlagStore, SQLiteFeatureFlagStore, type FeatureFlagStore } from '../client';
import { withWriteContext } from '../client/calls/write-context';
import { DEFAULT_HISTORY_RETENTION, type RecordedContext } from '../shared/model/history';
import type { HistoryLog } from '../server/history/history-log';
import { MemoryHistoryLog } from '../server/history/memory-history-log';
import { SQLiteHistoryLog } from '../server/history/sqlite-history-log';

const CONTEXT: RecordedContext = { operation: 'Set', actor: 'bench', reason: 'measuring', peer: '127.0.0.1:5000' };

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One backend: a store, and a log over it (the store's own observer records every write once the log is open). */
interface Backend {
  store: FeatureFlagStore;
  log?: HistoryLog;
}

/**
 * Median µs of a switch of one flag (`set`, on and off in turn) on a store without history (bare,
 * and in a write context as the server makes every write) and on one with history as the server
 * records it (the write in its context, then `recordWrite`), in turns of 100 so all three see the
 * same machine load.
 */
async function compare(name: string, plain: Backend, recorded: Required<Backend>, writes: number): Promise<void> {
  await recorded.log.open();
  const samples: [number[], number[], number[]] = [[], [], []];
  const variants = [
    (enabled: boolean) => plain.store.set('bench', enabled),
    (enabled: boolean) => withWriteContext(CONTEXT, () => plain.store.set('bench', enabled)),
    async (enabled: boolean) => {
      await withWriteContext(CONTEXT, () => recorded.store.set('bench', enabled));
      await recorded.log.recordWrite('bench', CONTEXT);
    },
  ];
  for (let i = 0; i < writes; i++) {
    const turn = Math.floor(i / 100) % 3;
    const start = process.hrtime.bigint();
    await variants[turn](i % 2 === 0);
    samples[turn].push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  const [bare, inContext, withHistory] = samples.map((s) => median(s.slice(100)));
  const ratio = withHistory / bare;
  console.log(
    `${`${name}: set + history`.padEnd(24)} ${withHistory.toFixed(1).padStart(8)} µs | set alone ${bare.toFixed(1).padStart(8)} µs: ` +
      `${ratio.toFixed(2)}x (target <= 1.3x: ${ratio <= 1.3 ? 'met' : 'MISSED'}) | set in a write context ` +
      `${inContext.toFixed(1).padStart(8)} µs: ${(withHistory / inContext).toFixed(2)}x`,
  );
}

/** A write with history recorded against one without, per backend whose history the server keeps itself. */
export async function runHistoryBench(writes = 6000): Promise<void> {
  const retention = DEFAULT_HISTORY_RETENTION;
  const memory = new MemoryFeatureFlagStore();
  const plainMemory = { store: new MemoryFeatureFlagStore() };
  await compare(
    'memory',
    plainMemory,
    { store: memory, log: new MemoryHistoryLog(memory, { retention }) },
    writes * 10,
  );
  const dir = mkdtempSync(join(tmpdir(), 'flipper-bench-history-'));
  const plainSqlite = new SQLiteFeatureFlagStore(join(dir, 'plain.db'));
  const sqlite = new SQLiteFeatureFlagStore(join(dir, 'history.db'));
  const logger = pino({ level: 'silent' });
  try {
    const log = new SQLiteHistoryLog(sqlite, { logger, retention });
    await compare('SQLite', { store: plainSqlite }, { store: sqlite, log }, writes);
  } finally {
    await Promise.all([plainSqlite.close(), sqlite.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
