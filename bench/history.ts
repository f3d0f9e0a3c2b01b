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

/**
 * Median µs of a switch of one flag (`set`, on and off in turn), without and with history as the
 * server records it (the write in its context, then `recordWrite`), in alternating blocks so both
 * see the same machine load.
 */
async function compare(backend: string, store: FeatureFlagStore, log: HistoryLog, writes: number): Promise<void> {
  await log.open();
  const plain: number[] = [];
  const recorded: number[] = [];
  const timed = async (samples: number[], write: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await write();
    samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  };
  for (let i = 0; i < writes; i++) {
    const enabled = i % 2 === 0;
    if (Math.floor(i / 100) % 2 === 0) await timed(plain, () => store.set('bench-plain', enabled));
    else
      await timed(recorded, async () => {
        await withWriteContext(CONTEXT, () => store.set('bench-recorded', enabled));
        await log.recordWrite('bench-recorded', CONTEXT);
      });
  }
  const [without, withHistory] = [median(plain.slice(100)), median(recorded.slice(100))];
  const ratio = withHistory / without;
  console.log(
    `${`${backend}: set + history`.padEnd(44)} ${withHistory.toFixed(1).padStart(9)} µs | set alone ${without.toFixed(1).padStart(9)} µs | ${ratio.toFixed(2)}x  (target <= 1.3x: ${ratio <= 1.3 ? 'met' : 'MISSED'})`,
  );
}

/** A write with history recorded against one without, per backend whose history the server keeps itself. */
export async function runHistoryBench(writes = 4000): Promise<void> {
  const memory = new MemoryFeatureFlagStore();
  await compare('memory', memory, new MemoryHistoryLog(memory, { retention: DEFAULT_HISTORY_RETENTION }), writes * 10);
  const dir = mkdtempSync(join(tmpdir(), 'flipper-bench-history-'));
  const sqlite = new SQLiteFeatureFlagStore(join(dir, 'flags.db'));
  const logger = pino({ level: 'silent' });
  try {
    await compare(
      'SQLite',
      sqlite,
      new SQLiteHistoryLog(sqlite, { logger, retention: DEFAULT_HISTORY_RETENTION }),
      writes,
    );
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
