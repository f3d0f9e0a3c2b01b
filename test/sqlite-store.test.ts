import { expect } from 'chai';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  Condition,
  ConsistentHashPercentageBucketer,
  FeatureFlagClient,
  Percentage,
  SQLiteFeatureFlagStore,
} from '../client';
import { describeStoreConformance } from '../client/testing';
import { sqliteConformance } from './helpers/sqlite-conformance';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'flipper-sqlite-'));
}

describeStoreConformance('SQLiteFeatureFlagStore', sqliteConformance());

describe('SQLiteFeatureFlagStore', function () {
  let dir: string;

  beforeEach(function () {
    dir = tempDir();
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds every flag, with its conditions and bucketer, after reopening the same file', async function () {
    const path = join(dir, 'flags.db');
    const first = new SQLiteFeatureFlagStore(path);
    const client = new FeatureFlagClient(first);
    await client.create('plain');
    await client.create('rich', { isEnabled: true, clientData: { team: 'growth' } });
    await client.addCondition('rich', new Condition({ is_admin: true, age__gte: 18 }));
    await client.setBucketer(
      'rich',
      new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.3) }),
    );
    const before = (await first.list()).map((i) => i.toJSON());
    await first.close();

    const second = new SQLiteFeatureFlagStore(path);
    try {
      const after = (await second.list()).map((i) => i.toJSON());
      expect(after).to.deep.equal(before);
      expect(after.map((i) => i.feature_name)).to.deep.equal(['plain', 'rich']);
      expect(after[1]!.meta.conditions).to.have.length(1);
      expect(after[1]!.meta.bucketer.type).to.equal('ConsistentHashPercentageBucketer');
    } finally {
      await second.close();
    }
  });

  it('creates the parent folder of a new file and opens it in WAL mode with synchronous=FULL', async function () {
    const store = new SQLiteFeatureFlagStore(join(dir, 'a', 'b', 'flags.db'));
    try {
      await store.create('x');
      expect(store.db.pragma('journal_mode', { simple: true })).to.equal('wal');
      expect(store.db.pragma('synchronous', { simple: true })).to.equal(2); // FULL
    } finally {
      await store.close();
    }
  });

  it('leaves open a database the application passed in, and uses the table it is told to', async function () {
    const db = new Database(join(dir, 'app.db'));
    try {
      const store = new SQLiteFeatureFlagStore(db, { tableName: 'my "flags"' });
      await store.create('x', { isEnabled: true });
      await store.close();
      expect(db.open).to.equal(true);
      expect(db.prepare('SELECT name FROM "my ""flags"""').pluck().all()).to.deep.equal(['x']);
    } finally {
      db.close();
    }
  });

  it('works on an in-memory database', async function () {
    const store = new SQLiteFeatureFlagStore(':memory:');
    await store.create('x', { isEnabled: true });
    expect((await store.get('x'))?.isEnabled).to.equal(true);
    await store.close();
    await store.close();
  });

  it('rejects with StoreError after close, and isEnabled then returns the default', async function () {
    const store = new SQLiteFeatureFlagStore(join(dir, 'flags.db'));
    await store.create('x', { isEnabled: true });
    await store.close();
    const error = await store.get('x').catch((e: unknown) => e);
    expect(error).to.have.property('code', 'STORE_ERROR');
    const client = new FeatureFlagClient(store, { logger: silentLogger });
    expect(await client.isEnabled('x', {}, { default: true })).to.equal(true);
  });

  it('keeps every acknowledged write when the writing process is killed with SIGKILL', async function () {
    const path = join(dir, 'flags.db');
    const acked: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const child = fork(join(__dirname, 'helpers', 'sqlite-writer.js'), [path], {
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      let buffer = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        acked.push(...lines);
        if (acked.length >= 300) child.kill('SIGKILL');
      });
      child.on('error', reject);
      child.on('exit', (_code, signal) =>
        signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited: ${_code}`)),
      );
    });
    const store = new SQLiteFeatureFlagStore(path);
    try {
      const names = new Set((await store.list()).map((i) => i.featureName));
      for (const name of acked) expect(names.has(name), name).to.equal(true);
      expect(acked.length).to.be.at.least(300);
    } finally {
      await store.close();
    }
  });
});

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
