import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Pool } from 'pg';
import {
  ConflictError,
  FeatureFlagClient,
  FlagDoesNotExistError,
  HistoryUnavailableError,
  InvalidArgumentError,
  MemoryFeatureFlagStore,
  ThriftRPCFeatureFlagStore,
  type HistoryEntry,
} from '../client';
import { FlagServer } from '../server/flag-server';
import { openHistoryLog } from '../server/history/open-history-log';
import type { HistoryLog } from '../server/history/history-log';
import { openStore, type OpenedStore } from '../server/store-url';
import { revisionOf } from '../shared/model/revision';
import { DEFAULT_HISTORY_RETENTION, type HistoryRetention } from '../shared/model/history';
import { quietLogger } from './helpers/rpc-served';
import { PYTHON, generatePythonStubs, missingPython, pythonScript } from './helpers/python-stubs';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

const REDIS_URL = 'redis://127.0.0.1:6379';
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A flag server over one backend with history on, and a client of it. */
interface HistoryServer {
  server: FlagServer;
  port: number;
  client: FeatureFlagClient;
  rpc: ThriftRPCFeatureFlagStore;
  close(): Promise<void>;
}

async function startServer(spec: string, baseKey: string, retention: HistoryRetention): Promise<HistoryServer> {
  const opened: OpenedStore = await openStore(spec, { baseKey, logger: quietLogger });
  const history = openHistoryLog(spec, opened.store, { baseKey, logger: quietLogger, retention })!;
  await history.open();
  const server = new FlagServer({ store: opened.store, port: 0, logger: quietLogger, history });
  const { port } = await server.listen();
  const rpc = new ThriftRPCFeatureFlagStore({ port });
  return {
    server,
    port,
    rpc,
    client: new FeatureFlagClient(rpc),
    close: async () => {
      await rpc.close();
      await server.close();
      await history.close();
      await opened.close();
    },
  };
}

const summary = (entries: HistoryEntry[]) =>
  entries.map((e) => [e.operation, e.actor, e.reason, e.external, e.after?.isEnabled ?? 'deleted']);

interface Backend {
  title: string;
  spec: () => string;
  /** Both servers share the backend (false: one process's history, memory). */
  shared: boolean;
  /** Writes the flag as the Python library's own store does, behind the servers' backs (undefined: no such writer). */
  pythonWrite?: (baseKey: string, name: string, enabled: boolean) => void;
  cleanup(baseKey: string): Promise<void>;
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'flipper-history-'));
const unique = `hist_${process.pid}_${Date.now()}`;

const BACKENDS: Backend[] = [
  { title: 'memory', spec: () => 'memory', shared: false, cleanup: async () => {} },
  {
    title: 'SQLite',
    spec: () => `sqlite:${join(sqliteDir, 'flags.db')}`,
    shared: true,
    cleanup: async () => {},
  },
  {
    title: 'Redis',
    spec: () => REDIS_URL,
    shared: true,
    pythonWrite: (baseKey, name, enabled) =>
      execFileSync(PYTHON, [pythonScript('layout_writer.py'), 'redis', REDIS_URL, baseKey, name, String(enabled)]),
    cleanup: async (baseKey) => {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${baseKey}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  },
  {
    title: 'PostgreSQL',
    spec: () => PG_URL,
    shared: true,
    pythonWrite: (table, name, enabled) =>
      execFileSync(PYTHON, [pythonScript('layout_writer.py'), 'postgres', PG_URL, table, name, String(enabled)]),
    cleanup: async (table) => {
      const pool = new Pool({ connectionString: PG_URL });
      await dropFlagTableAndFeed(pool, table);
      await pool.end();
    },
  },
];

// Issue 14's acceptance through real servers over each backend: every write recorded with actor,
// peer, time, before and after; rollback; direct writes by the Python library's layout marked as
// made outside the server; two servers showing one history; retention.
describe('flag server history: who changed what, when, and rollback', function () {
  this.timeout(60_000);
  after(() => rmSync(sqliteDir, { recursive: true, force: true }));

  for (const backend of BACKENDS) {
    describe(backend.title, () => {
      let n = 0;
      let baseKey: string;
      const servers: HistoryServer[] = [];
      const start = async (retention = DEFAULT_HISTORY_RETENTION) => {
        const started = await startServer(backend.spec(), baseKey, retention);
        servers.push(started);
        return started;
      };
      beforeEach(() => {
        baseKey = `${unique}_${backend.title.toLowerCase()}_${n++}`;
      });
      afterEach(async () => {
        for (const s of servers.splice(0)) await s.close();
        await backend.cleanup(baseKey);
      });

      it('records every write with its actor, reason, peer, time, before and after, newest first', async () => {
        const { client } = await start();
        const startedAt = Date.now();
        await client.create('f', { actor: 'alice', reason: 'launch' });
        await client.enable('f', { actor: 'bob', reason: 'ramp up' });
        await client.setClientData('f', { plan: 'pro' });
        await client.disable('f', { actor: 'carol' });
        const entries = await client.history('f');
        expect(summary(entries)).to.deep.equal([
          ['SetIf', 'carol', undefined, false, false],
          ['SetMetaIf', undefined, undefined, false, true],
          ['SetIf', 'bob', 'ramp up', false, true],
          ['Create', 'alice', 'launch', false, false],
        ]);
        for (const entry of entries) {
          expect(entry.peer).to.match(/127\.0\.0\.1:\d+$/);
          expect(entry.time.getTime()).to.be.within(startedAt - 2000, Date.now() + 2000);
          expect(entry.featureName).to.equal('f');
        }
        expect(entries[3].before).to.equal(undefined);
        expect(entries[2].beforeJson).to.equal(entries[3].afterJson);
        expect(entries[1].after?.meta.clientData).to.deep.equal({ plan: 'pro' });
      });

      it('rolls back to an earlier version as a new recorded change; a deleted flag comes back', async () => {
        const { client } = await start();
        await client.create('r', { clientData: { v: 1 } });
        await client.enable('r');
        const [enabled] = await client.history('r');
        await client.setClientData('r', { v: 2 });
        await client.disable('r');
        const rolled = await client.rollback('r', enabled.version, { actor: 'oncall', reason: 'incident 42' });
        expect(rolled).to.deep.include({ operation: 'Rollback', actor: 'oncall', reason: 'incident 42' });
        expect(rolled.rollbackTo).to.equal(enabled.version);
        expect(await client.isEnabled('r')).to.equal(true);
        expect(await client.getClientData('r')).to.deep.equal({ v: 1 });
        await client.destroy('r', { actor: 'mallory' });
        const [deleted] = await client.history('r');
        expect(deleted).to.deep.include({ operation: 'Delete', actor: 'mallory' });
        await client.rollback('r', rolled.version);
        expect(await client.isEnabled('r')).to.equal(true);
        expect(await client.getClientData('r')).to.deep.equal({ v: 1 });
        const [restored] = await client.history('r');
        expect(restored.operation).to.equal('Rollback');
        // Rolling back to the deletion deletes it again.
        await client.rollback('r', deleted.version);
        expect(await client.exists('r')).to.equal(false);
      });

      it('refuses a rollback over a write the caller has not seen, or to a version with no entry', async () => {
        const { client, rpc } = await start();
        await client.create('c');
        const seen = await rpc.get('c');
        const [created] = await client.history('c');
        await client.enable('c');
        const revision = revisionOf(seen!);
        expect(revision).to.be.a('string');
        const error = await client
          .rollback('c', created.version, { expectedRevision: revision })
          .catch((e: unknown) => e);
        expect(error).to.be.instanceOf(ConflictError);
        expect(await client.isEnabled('c')).to.equal(true);
        const missing = await client.rollback('c', created.version + 1_000_000).catch((e: unknown) => e);
        expect(missing).to.be.instanceOf(FlagDoesNotExistError);
        expect((missing as Error).message).to.match(/no recorded change at version/);
        expect(await client.history('c')).to.have.length(2);
      });

      it('keeps the newest 100 entries of a flag under a limit of 100 after 1,000 writes', async () => {
        const { client, rpc } = await start({ ...DEFAULT_HISTORY_RETENTION, maxEntriesPerFlag: 100 });
        await client.create('busy');
        for (let i = 0; i < 1000; i++) await rpc.set('busy', i % 2 === 0);
        const all: HistoryEntry[] = [];
        let page = await client.history('busy', { limit: 60 });
        while (page.length > 0) {
          all.push(...page);
          page = await client.history('busy', { limit: 60, beforeVersion: page[page.length - 1].version });
        }
        expect(all).to.have.length(100);
        expect(all[0].after?.isEnabled).to.equal(false);
        const versions = all.map((e) => e.version);
        expect(versions).to.deep.equal([...versions].sort((a, b) => b - a));
      });

      if (backend.shared) {
        it('two servers over the backend show the same history, in the same order', async () => {
          const one = await start();
          const two = await start();
          await one.client.create('s', { actor: 'one' });
          await two.client.enable('s', { actor: 'two' });
          await one.client.setClientData('s', { x: 1 }, { actor: 'one' });
          const fromOne = await one.client.history('s');
          const fromTwo = await two.client.history('s');
          expect(summary(fromOne)).to.deep.equal(summary(fromTwo));
          expect(fromOne.map((e) => e.version)).to.deep.equal(fromTwo.map((e) => e.version));
          expect(fromOne.map((e) => e.actor)).to.deep.equal(['one', 'two', 'one']);
        });
      }

      if (backend.pythonWrite !== undefined) {
        it('a direct write by the Python library (its own layout) is recorded as made outside the server', async function () {
          const reason = missingPython();
          if (reason !== undefined) this.skip();
          const { client } = await start();
          await client.create('py', { actor: 'node' });
          backend.pythonWrite!(baseKey, 'py', true);
          const entries = await client.history('py');
          expect(summary(entries)).to.deep.equal([
            [undefined, undefined, undefined, true, true],
            ['Create', 'node', undefined, false, false],
          ]);
          expect(entries[0].after?.meta.clientData).to.deep.equal({ written_by: 'python' });
          expect(entries[0].peer).to.equal(undefined);
        });
      }
    });
  }

  it("the Python library's client, which sends no actor, still works; its writes are recorded with its address", async function () {
    const reason = missingPython();
    if (reason !== undefined) this.skip();
    const served = await startServer('memory', 'py', DEFAULT_HISTORY_RETENTION);
    const gen = generatePythonStubs();
    try {
      // Asynchronously: the server answering Python runs in this process.
      const { stdout: out } = await promisify(execFile)(PYTHON, [pythonScript('quickstart.py')], {
        env: { ...process.env, PYTHONPATH: gen, FLIPPER_PORT: String(served.port) },
        timeout: 20_000,
      });
      expect(out.trim()).to.equal('True');
      const entries = await served.client.history('py-checkout');
      expect(summary(entries)).to.deep.equal([
        ['Set', undefined, undefined, false, true],
        ['Create', undefined, undefined, false, false],
      ]);
      for (const entry of entries) expect(entry.peer).to.match(/127\.0\.0\.1:\d+$/);
    } finally {
      rmSync(gen, { recursive: true, force: true });
      await served.close();
    }
  });

  it('an actor or reason that is not one line of text is refused before anything is sent', async () => {
    const served = await startServer('memory', 'bad', DEFAULT_HISTORY_RETENTION);
    try {
      await served.client.create('b');
      for (const context of [{ actor: 'a\nb' }, { reason: 'x'.repeat(1025) }, { actor: 'esc\u001b[31m' }]) {
        const error = await served.client.enable('b', context).catch((e: unknown) => e);
        expect(error, JSON.stringify(context)).to.be.instanceOf(InvalidArgumentError);
      }
      expect(await served.client.isEnabled('b')).to.equal(false);
      expect(await served.client.history('b')).to.have.length(1);
    } finally {
      await served.close();
    }
  });

  it('a store without a flag server has no history: HistoryUnavailableError, not a silent empty list', async () => {
    const client = new FeatureFlagClient(new MemoryFeatureFlagStore());
    await client.create('m');
    const error = await client.history('m').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(HistoryUnavailableError);
    const rollback = await client.rollback('m', 1).catch((e: unknown) => e);
    expect(rollback).to.be.instanceOf(HistoryUnavailableError);
  });

  it('a server with history off (--history-limit 0) says so', async () => {
    const store = new MemoryFeatureFlagStore();
    const history: HistoryLog | undefined = openHistoryLog('memory', store, {
      logger: quietLogger,
      retention: { ...DEFAULT_HISTORY_RETENTION, maxEntriesPerFlag: 0 },
    });
    expect(history).to.equal(undefined);
    const server = new FlagServer({ store, port: 0, logger: quietLogger });
    const { port } = await server.listen();
    const rpc = new ThriftRPCFeatureFlagStore({ port });
    try {
      const client = new FeatureFlagClient(rpc);
      await client.create('h', { actor: 'someone' });
      const error = await client.history('h').catch((e: unknown) => e);
      expect(error).to.be.instanceOf(HistoryUnavailableError);
      expect((error as Error).message).to.match(/keeps no history/);
    } finally {
      await rpc.close();
      await server.close();
    }
  });
});
