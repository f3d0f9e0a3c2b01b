import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLiteFeatureFlagStore, TimeoutError } from '../client';
import { serve } from './helpers/rpc-served';

/** Another process that takes the file's write lock, holds it `ms`, then commits and exits. */
async function holdWriteLock(file: string, ms: number): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const script = `
    const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    db.prepare("INSERT INTO feature_flags (name, item) VALUES ('other-process', '{}') ON CONFLICT DO NOTHING").run();
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, file, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
  });
  return { child, exited };
}

describe('SQLite: another process holding the write lock does not freeze the event loop', function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'flipper-sqlite-lock-'));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('Gets through a server on the file stay under 50 ms; the write completes once the lock is released', async function () {
    const file = join(dir, 'flags.db');
    const store = new SQLiteFeatureFlagStore(file, { timeout: 5000 });
    await store.create('f', { isEnabled: true });
    const s = await serve(store, { client: { timeout: 5000 } });
    try {
      const holder = await holdWriteLock(file, 2000);
      const lockedAt = Date.now();
      const write = s.rpc.set('f', false);
      write.catch(() => {});
      const latencies: number[] = [];
      while (Date.now() - lockedAt < 1800) {
        const started = process.hrtime.bigint();
        expect((await s.rpc.get('f'))?.isEnabled, 'the write is not done while locked').to.equal(true);
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await write;
      const writtenAfter = Date.now() - lockedAt;
      await holder.exited;
      const worst = Math.max(...latencies);
      console.log(
        `      ${latencies.length} Gets while locked, slowest ${worst.toFixed(1)} ms; the write finished ${writtenAfter} ms after the lock was taken (held 2000 ms)`,
      );
      expect(worst).to.be.below(50);
      expect(writtenAfter).to.be.within(1900, 4000);
      expect((await s.rpc.get('f'))?.isEnabled).to.equal(false);
    } finally {
      await s.close();
    }
  });

  it('a write still locked out at the store deadline fails with TimeoutError then, not later', async function () {
    const file = join(dir, 'flags.db');
    const store = new SQLiteFeatureFlagStore(file, { timeout: 500 });
    try {
      await store.create('f', { isEnabled: true });
      const holder = await holdWriteLock(file, 2000);
      const started = Date.now();
      const error = await store.set('f', false).then(
        () => undefined,
        (e: unknown) => e,
      );
      const ms = Date.now() - started;
      expect(error).to.be.instanceOf(TimeoutError);
      expect((error as Error).message).to.match(/500 ms/);
      expect(ms).to.be.within(400, 900);
      await holder.exited;
      await store.set('f', false);
      expect((await store.get('f'))?.isEnabled).to.equal(false);
    } finally {
      await store.close();
    }
  });
});
