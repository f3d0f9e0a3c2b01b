import { expect } from 'chai';
import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import { withWriteContext } from '../../client/calls/write-context';
import { deserializeItem } from '../../shared';
import { madeThroughServer, type HistoryRetention, type RecordedContext } from '../../shared/model/history';
import type { HistoryLog } from '../../server/history/history-log';

/** One backend under test: a store and the history log over it, and a way to write behind the server's back. */
export interface HistoryBackend {
  store: FeatureFlagStore;
  log: HistoryLog;
  /** A second log over the same backend, as a second server would open it (undefined where the backend is one process's). */
  secondLog?: HistoryLog;
  /**
   * Writes the flag's stored JSON (or deletes it with `undefined`) as another program would (the
   * Python library, psql, redis-cli, another process on the SQLite file): no context, no server.
   */
  writeDirectly(name: string, storedJson: string | undefined): Promise<void>;
}

export interface HistoryBackendFactory {
  /** A fresh, empty backend for one test, with this retention and clock (ms since the epoch). */
  open(retention: HistoryRetention, clock: () => number): Promise<HistoryBackend>;
  /** Closes what `open` made and removes its tables or keys. */
  close(backend: HistoryBackend): Promise<void>;
}

const RETENTION: HistoryRetention = { maxEntriesPerFlag: 1000, maxAgeMs: 24 * 3600 * 1000 };

const context = (operation: string, actor = 'alice'): RecordedContext => ({
  operation,
  actor,
  reason: 'because',
  peer: '127.0.0.1:5000',
});

/**
 * The behaviour every `HistoryLog` shares, run against each backend (as `describeStoreConformance`
 * is for stores): writes through the server recorded with their context, before and after, newest
 * first; direct writes found by `reconcile` and marked as made outside the server; paging;
 * retention by count and age; two servers over one backend agreeing.
 */
export function describeHistoryLog(title: string, factory: HistoryBackendFactory): void {
  describe(`history log: ${title}`, function () {
    this.timeout(20_000);
    let now = Date.UTC(2026, 0, 1);
    const clock = () => now;
    let backend: HistoryBackend;
    const opened: HistoryBackend[] = [];
    const open = async (retention = RETENTION) => {
      backend = await factory.open(retention, clock);
      opened.push(backend);
      await backend.log.open();
      await backend.secondLog?.open();
      return backend;
    };
    afterEach(async () => {
      for (const b of opened.splice(0)) await factory.close(b);
    });

    /** A write as the server makes it: in the write context, then recorded. */
    const write = async (name: string, ctx: RecordedContext, op: (store: FeatureFlagStore) => Promise<unknown>) => {
      await withWriteContext(ctx, () => op(backend.store));
      await backend.log.recordWrite(name, ctx);
    };

    it('records writes through the server with their context, before and after, newest first', async () => {
      await open();
      await write('f', context('Create'), (s) => s.create('f'));
      await write('f', context('Set', 'bob'), (s) => s.set('f', true));
      await write('f', context('Delete'), (s) => s.delete('f'));
      const entries = await backend.log.entries('f', { limit: 10 });
      expect(entries.map((e) => e.context?.operation)).to.deep.equal(['Delete', 'Set', 'Create']);
      expect(entries.map((e) => e.context?.actor)).to.deep.equal(['alice', 'bob', 'alice']);
      expect(entries[1].context).to.include({ reason: 'because', peer: '127.0.0.1:5000' });
      const versions = entries.map((e) => e.version);
      expect(versions).to.deep.equal([...versions].sort((a, b) => b - a));
      expect(new Set(versions).size).to.equal(3);
      const [deleted, enabled, created] = entries;
      expect(created.before).to.equal(undefined);
      expect(deserializeItem(created.after!).isEnabled).to.equal(false);
      expect(enabled.before).to.equal(created.after);
      expect(deserializeItem(enabled.after!).isEnabled).to.equal(true);
      expect(deleted.before).to.equal(enabled.after);
      expect(deleted.after).to.equal(undefined);
      for (const entry of entries) {
        expect(entry.featureName).to.equal('f');
        expect(madeThroughServer(entry)).to.equal(true);
        expect(entry.timeMs).to.be.a('number').and.to.be.greaterThan(0);
      }
    });

    it('a write that changed nothing records nothing', async () => {
      await open();
      await write('f', context('Create'), (s) => s.create('f', { isEnabled: true }));
      await write('f', context('Set'), (s) => s.set('f', true));
      expect(await backend.log.entries('f', { limit: 10 })).to.have.length(1);
    });

    it('keeps the stored JSON exactly as the writer wrote it (Python numbers included)', async () => {
      await open();
      const python =
        '{"feature_name": "py", "is_enabled": true, "meta": {"client_data": {"n": 1.0, "big": 9223372036854775807, ' +
        '"x": NaN}, "created_date": 1700000000, "conditions": [], "bucketer": {"type": "NoOpBucketer"}}}';
      await backend.writeDirectly('py', python);
      await backend.log.reconcile(['py']);
      const [entry] = await backend.log.entries('py', { limit: 10 });
      expect(entry.after).to.equal(python);
    });

    it('finds direct writes (another program on the backend) and marks them as made outside the server', async () => {
      await open();
      await write('f', context('Create'), (s) => s.create('f'));
      const before = (await backend.log.entries('f', { limit: 1 }))[0].after!;
      const changed = before.replace('"is_enabled": false', '"is_enabled": true');
      expect(changed).to.not.equal(before);
      await backend.writeDirectly('f', changed);
      await backend.log.reconcile(['f']);
      await backend.log.reconcile(['f']);
      await backend.log.reconcile('all');
      const entries = await backend.log.entries('f', { limit: 10 });
      expect(entries).to.have.length(2);
      expect(madeThroughServer(entries[0])).to.equal(false);
      expect(entries[0].before).to.equal(before);
      expect(entries[0].after).to.equal(changed);
      await backend.writeDirectly('g', changed.replace('"feature_name": "f"', '"feature_name": "g"'));
      await backend.writeDirectly('f', undefined);
      await backend.log.reconcile('all');
      expect((await backend.log.entries('f', { limit: 1 }))[0].after).to.equal(undefined);
      expect(await backend.log.entries('g', { limit: 10 })).to.have.length(1);
    });

    it('pages with limit and beforeVersion', async () => {
      await open();
      for (let i = 0; i < 7; i++) await write('p', context('Set'), (s) => s.set('p', i % 2 === 0));
      const first = await backend.log.entries('p', { limit: 3 });
      const second = await backend.log.entries('p', { limit: 3, beforeVersion: first[2].version });
      const third = await backend.log.entries('p', { limit: 3, beforeVersion: second[2].version });
      expect(first).to.have.length(3);
      expect(second).to.have.length(3);
      expect(third).to.have.length(1);
      const all = await backend.log.entries('p', { limit: 100 });
      expect([...first, ...second, ...third].map((e) => e.version)).to.deep.equal(all.map((e) => e.version));
    });

    it('keeps the newest entries per flag (limit 5: 12 writes leave the newest 5), other flags untouched', async () => {
      await open({ ...RETENTION, maxEntriesPerFlag: 5 });
      await write('other', context('Create'), (s) => s.create('other'));
      for (let i = 0; i < 12; i++) await write('r', context('Set', `actor-${i}`), (s) => s.set('r', i % 2 === 0));
      const entries = await backend.log.entries('r', { limit: 100 });
      expect(entries.map((e) => e.context?.actor)).to.deep.equal([
        'actor-11',
        'actor-10',
        'actor-9',
        'actor-8',
        'actor-7',
      ]);
      expect(await backend.log.entries('other', { limit: 100 })).to.have.length(1);
    });

    it('drops entries older than the maximum age, keeping the newest of a flag', async () => {
      await open({ ...RETENTION, maxAgeMs: 60_000 });
      await write('a', context('Set', 'old-1'), (s) => s.set('a', true));
      await write('a', context('Set', 'old-2'), (s) => s.set('a', false));
      now += 3_600_000;
      await write('a', context('Set', 'new'), (s) => s.set('a', true));
      await write('b', context('Set', 'b'), (s) => s.set('b', true));
      expect((await backend.log.entries('a', { limit: 100 })).map((e) => e.context?.actor)).to.deep.equal(['new']);
    });

    it('names are data: __proto__, constructor and non-ASCII names have their own history', async () => {
      await open();
      for (const name of ['__proto__', 'constructor', 'drapeau-é-🚩']) {
        await write(name, context('Create'), (s) => s.create(name));
        const [entry] = await backend.log.entries(name, { limit: 10 });
        expect(entry.featureName).to.equal(name);
        expect(deserializeItem(entry.after!).featureName).to.equal(name);
      }
      expect(await backend.log.entries('toString', { limit: 10 })).to.deep.equal([]);
    });

    it('a second server over the same backend shows the same history in the same order', async function () {
      await open();
      if (backend.secondLog === undefined) this.skip(); // one process's history (memory): nothing to share
      await write('s', context('Create'), (s) => s.create('s'));
      await backend.writeDirectly('s', undefined);
      await backend.secondLog!.reconcile(['s']);
      await backend.log.reconcile(['s']);
      await write('s', context('Create', 'carol'), (s) => s.create('s', { isEnabled: true }));
      const one = await backend.log.entries('s', { limit: 10 });
      const two = await backend.secondLog!.entries('s', { limit: 10 });
      expect(two).to.deep.equal(one);
      expect(one).to.have.length(3);
    });
  });
}
