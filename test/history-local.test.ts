import { expect } from 'chai';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryFeatureFlagStore, SQLiteFeatureFlagStore } from '../client';
import { deserializeItem } from '../shared';
import { DEFAULT_HISTORY_RETENTION } from '../shared/model/history';
import { MemoryHistoryLog } from '../server/history/memory-history-log';
import { SQLiteHistoryLog } from '../server/history/sqlite-history-log';
import { describeStoreConformance } from '../client/testing';
import { describeHistoryLog, type HistoryBackend } from './helpers/history-log-cases';
import { sqliteConformance } from './helpers/sqlite-conformance';
import { quietLogger } from './helpers/rpc-served';
import { writeRecorded } from './helpers/history-writes';

describeHistoryLog('memory', {
  open: async (retention, clock) => {
    const store = new MemoryFeatureFlagStore();
    return {
      store,
      log: new MemoryHistoryLog(store, { retention, clock }),
      // The memory store has no other writer: a write through it outside any context stands for one.
      writeDirectly: async (name, storedJson) => {
        if (storedJson === undefined) return store.delete(name);
        const item = deserializeItem(storedJson);
        if ((await store.get(name)) === undefined) await store.create(name);
        await store.update(name, () => item);
      },
    };
  },
  close: async (backend) => backend.log.close(),
});

const sqliteFiles = new Map<HistoryBackend, { dir: string; close: () => Promise<void> }>();

describeHistoryLog('SQLite', {
  open: async (retention, clock) => {
    const dir = mkdtempSync(join(tmpdir(), 'flipper-history-'));
    const file = join(dir, 'flags.db');
    const store = new SQLiteFeatureFlagStore(file);
    const secondStore = new SQLiteFeatureFlagStore(file);
    // Another connection, as another process (the Python library, the sqlite3 shell) would write.
    const other = new Database(file, { timeout: 5000 });
    const backend: HistoryBackend = {
      store,
      log: new SQLiteHistoryLog(store, { logger: quietLogger, retention, clock }),
      secondLog: new SQLiteHistoryLog(secondStore, { logger: quietLogger, retention, clock }),
      writeDirectly: async (name, storedJson) => {
        if (storedJson === undefined) other.prepare('DELETE FROM feature_flags WHERE name = ?').run(name);
        else other.prepare('INSERT OR REPLACE INTO feature_flags (name, item) VALUES (?, ?)').run(name, storedJson);
      },
    };
    sqliteFiles.set(backend, {
      dir,
      close: async () => {
        other.close();
        await Promise.all([store.close(), secondStore.close()]);
      },
    });
    return backend;
  },
  close: async (backend) => {
    await backend.log.close();
    await backend.secondLog?.close();
    const file = sqliteFiles.get(backend)!;
    sqliteFiles.delete(backend);
    await file.close();
    rmSync(file.dir, { recursive: true, force: true });
  },
});

// Every case of the store contract again, each write now appending its entry in its own transaction.
describeStoreConformance(
  'SQLiteFeatureFlagStore with a history log open',
  sqliteConformance(async (store) => {
    await new SQLiteHistoryLog(store, { logger: quietLogger, retention: DEFAULT_HISTORY_RETENTION }).open();
  }),
);

describe('SQLite history: across restarts and processes', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flipper-history-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const openLog = async (file: string) => {
    const store = new SQLiteFeatureFlagStore(file);
    const log = new SQLiteHistoryLog(store, { logger: quietLogger, retention: DEFAULT_HISTORY_RETENTION });
    await log.open();
    return { store, log };
  };

  it('survives a restart: the entries stay and versions keep growing', async () => {
    const file = join(dir, 'flags.db');
    const first = await openLog(file);
    await writeRecorded(first.store, first.log, 'f', 'before-restart-1');
    await writeRecorded(first.store, first.log, 'f', 'before-restart-2');
    const before = await first.log.entries('f', { limit: 10 });
    await first.log.close();
    await first.store.close();

    const second = await openLog(file);
    await writeRecorded(second.store, second.log, 'f', 'after-restart');
    const after = await second.log.entries('f', { limit: 10 });
    await second.log.close();
    await second.store.close();
    expect(after.slice(1)).to.deep.equal(before);
    expect(after[0].version).to.be.greaterThan(before[0].version);
    expect(after[0].context?.actor).to.equal('after-restart');
    expect(after[0].before).to.equal(before[0].after);
  });

  it('versions are never given twice: trimming keeps every flag its newest entry, so the largest version stays', async () => {
    const file = join(dir, 'flags.db');
    const store = new SQLiteFeatureFlagStore(file);
    const log = new SQLiteHistoryLog(store, {
      logger: quietLogger,
      retention: { maxEntriesPerFlag: 16, maxAgeMs: 1e12 },
    });
    await log.open();
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const name = i % 3 === 0 ? 'x' : 'y';
      await writeRecorded(store, log, name, `w${i}`);
      const [newest] = await log.entries(name, { limit: 1 });
      expect(seen.has(newest.version)).to.equal(false);
      expect(newest.version).to.be.greaterThan(Math.max(0, ...seen));
      seen.add(newest.version);
    }
    expect(await log.entries('y', { limit: 100 })).to.have.length(16);
    await log.close();
    await store.close();
  });

  it('a history table made by an earlier release (AUTOINCREMENT) is read and written as before', async () => {
    const file = join(dir, 'flags.db');
    const db = new Database(file);
    db.exec(
      'CREATE TABLE "feature_flags_flipper_history" (version INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, ' +
        'seq INTEGER NOT NULL, time_ms INTEGER NOT NULL, "before" TEXT, "after" TEXT, ' +
        'before_unknown INTEGER NOT NULL DEFAULT 0, context TEXT)',
    );
    db.prepare(
      'INSERT INTO "feature_flags_flipper_history" (version, name, seq, time_ms, "after", before_unknown) VALUES (41, ?, 1, 0, NULL, 1)',
    ).run('gone');
    db.close();
    const { store, log } = await openLog(file);
    await writeRecorded(store, log, 'f', 'after-upgrade');
    const [entry] = await log.entries('f', { limit: 10 });
    expect(entry.version).to.equal(42);
    expect(entry.context?.actor).to.equal('after-upgrade');
    await log.close();
    await store.close();
  });

  it('two processes writing the same flags at once: every write is one entry, with its own actor', async () => {
    const file = join(dir, 'flags.db');
    const writes = 200;
    const ours = await openLog(file);
    const child = fork(join(__dirname, 'helpers', 'history-writer.js'), [file, 'child', String(writes)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const childDone = new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`history writer exited: ${code}`))));
    });
    for (let i = 0; i < writes; i++) await writeRecorded(ours.store, ours.log, `shared-${i % 5}`, `parent-${i}`);
    await childDone;
    const actors: string[] = [];
    for (let n = 0; n < 5; n++) {
      const entries = await ours.log.entries(`shared-${n}`, { limit: 2 * writes });
      for (const [i, entry] of entries.entries()) {
        actors.push(entry.context!.actor!);
        // Each entry starts where the one before it (older, next in the list) ended.
        if (i + 1 < entries.length) expect(entry.before).to.equal(entries[i + 1].after);
      }
    }
    await ours.log.close();
    await ours.store.close();
    const expected = [...Array(writes).keys()].flatMap((i) => [`parent-${i}`, `child-${i}`]);
    expect(actors.sort()).to.deep.equal(expected.sort());
  });
});
