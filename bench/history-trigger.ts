import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { FeatureFlagClient, PostgreSQLFeatureFlagStore } from '../client';
import { withWriteContext } from '../client/calls/write-context';
import { DEFAULT_HISTORY_RETENTION } from '../shared/model/history';
import type { HistoryLog } from '../server/history/history-log';
import { PostgresHistoryLog } from '../server/history/postgres-history-log';
import { quietLogger } from '../test/helpers/rpc-served';
import { dropFlagTableAndFeed } from '../test/helpers/pg-feed-cleanup';

const ROUNDS = 6;
const CALLS = 300;

/** Median of the durations, in µs. */
function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(samples: number[], fn: () => Promise<unknown>): Promise<void> {
  const start = process.hrtime.bigint();
  await fn();
  samples.push(Number(process.hrtime.bigint() - start) / 1000);
}

function line(name: string, ours: number, baseline: number, baselineName: string, target: number): void {
  const ratio = ours / baseline;
  const verdict = ratio <= target ? 'met' : 'MISSED';
  console.log(
    `${name.padEnd(70)} ours ${ours.toFixed(0).padStart(8)} µs median | ${baselineName.padEnd(30)} ${baseline
      .toFixed(0)
      .padStart(8)} µs median | ${ratio.toFixed(2)}x (target <= ${target}x: ${verdict})`,
  );
}

/**
 * What the history costs a write on PostgreSQL: `set` and a client `enable`/`disable` (a
 * conditional update) on a table with the change trigger (version, history row with the write
 * context set in the statement, NOTIFY) against the same calls on a table without it, in
 * alternating rounds so both see the same load. Also the server's per-write retention step
 * (`recordWrite`) on a flag holding its full 1000 entries.
 */
export async function runHistoryTriggerBench(): Promise<void> {
  await compareWrites('');
  // Without waiting for the WAL flush at commit, which dominates a write on most disks: what is
  // left is the statements' own cost, the trigger's included.
  await compareWrites('synchronous_commit off');
}

async function compareWrites(setting: '' | 'synchronous_commit off'): Promise<void> {
  const run = `bench_history_${process.pid}_${randomBytes(3).toString('hex')}`;
  const bare = `${run}_bare`;
  const pool = new Pool({
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    database: 'test',
    max: 2,
    options: setting === '' ? undefined : '-c synchronous_commit=off',
  });
  const suffix = setting === '' ? '' : ` (${setting})`;
  try {
    await pool.query(`CREATE TABLE "${bare}" (name varchar(255) PRIMARY KEY, item bytea NOT NULL)`);
    const withTrigger = new PostgreSQLFeatureFlagStore(pool, { tableName: run });
    const without = new PostgreSQLFeatureFlagStore(pool, { tableName: bare, runMigrations: false });
    const context = { operation: 'Set', actor: 'bench', reason: 'measuring', peer: '127.0.0.1:1' };
    const samples = new Map<string, number[]>();
    const sample = (key: string) => samples.get(key) ?? samples.set(key, []).get(key)!;
    // Every measured call changes its flag: `set` flips 's', `enable`/`disable` flip 't'.
    for (const store of [withTrigger, without]) {
      await store.create('s');
      await store.create('t', { isEnabled: true });
    }
    const stores = [
      ['bare', without, new FeatureFlagClient(without)],
      ['trigger', withTrigger, new FeatureFlagClient(withTrigger)],
    ] as const;
    // Each call on one table, then the same on the other: both see the same load as it varies.
    for (let i = 0; i < ROUNDS * CALLS; i++) {
      for (const [label, store, client] of stores) {
        const measure = i >= CALLS; // the first CALLS warm up
        const set = () => withWriteContext(context, () => store.set('s', i % 2 === 0));
        const toggle = () => withWriteContext(context, () => (i % 2 === 0 ? client.disable('t') : client.enable('t')));
        if (measure) {
          await timed(sample(`set ${label}`), set);
          await timed(sample(`update ${label}`), toggle);
        } else {
          await set();
          await toggle();
        }
      }
    }
    const m = (key: string) => median(samples.get(key)!);
    line(
      `PostgreSQL set, history trigger${suffix}`,
      m('set trigger'),
      m('set bare'),
      'set, table without trigger',
      1.3,
    );
    line(
      `PostgreSQL enable (update), history trigger${suffix}`,
      m('update trigger'),
      m('update bare'),
      'enable, table without trigger',
      1.3,
    );
    const log: HistoryLog = new PostgresHistoryLog(pool, {
      tableName: run,
      logger: quietLogger,
      retention: DEFAULT_HISTORY_RETENTION,
    });
    await log.open();
    await log.recordWrite('t', context);
    const entries = (await log.entries('t', { limit: 2000 })).length;
    const trims: number[] = [];
    for (let i = 0; i < CALLS; i++) await timed(trims, () => log.recordWrite('t', context));
    console.log(
      `${`PostgreSQL recordWrite (retention)${suffix}`.padEnd(44)} ${median(trims).toFixed(0).padStart(8)} µs median, on a flag with ${entries} entries`,
    );
  } finally {
    await dropFlagTableAndFeed(pool, run);
    await pool.query(`DROP TABLE IF EXISTS "${bare}"`);
    await pool.end();
  }
}
