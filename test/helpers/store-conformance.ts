import { expect } from 'chai';
import {
  Condition,
  FeatureFlagClient,
  FlagDoesNotExistError,
  InvalidArgumentError,
  NoOpBucketer,
  type FeatureFlagStore,
} from '../../client';
import { everyBucketer, everyOperatorConditions } from './flag-shapes';
import { pythonItems } from './fixtures';

export interface StoreConformanceOptions {
  /** A new, empty store; called before each test. */
  makeStore: () => Promise<FeatureFlagStore> | FeatureFlagStore;
  /** Writes the Python library's JSON text straight into the backend, as Python would. */
  writeRaw?: (store: FeatureFlagStore, featureName: string, json: string) => Promise<void>;
  /** A second store on the same backend but another prefix or table; must never see the first one's flags. */
  makeNeighbour?: () => Promise<FeatureFlagStore> | FeatureFlagStore;
  /** Called after each test with the store it used. */
  cleanup?: (store: FeatureFlagStore) => Promise<void> | void;
}

/**
 * The store contract (`../shared/spec/decisions.md`), run against every store. A store's spec file
 * calls this once; a case a store cannot pass is skipped with the reason, never passed silently.
 */
export function describeStoreConformance(name: string, options: StoreConformanceOptions): void {
  describe(`store conformance: ${name}`, function () {
    let store: FeatureFlagStore;

    beforeEach(async function () {
      store = await options.makeStore();
    });

    afterEach(async function () {
      if (options.cleanup) await options.cleanup(store);
      await store?.close?.();
    });

    it('create returns a fresh item and get reads it back', async function () {
      const before = Math.floor(Date.now() / 1000);
      const item = await store.create('alpha', { isEnabled: true, clientData: { owner: 'growth' } });
      expect(item.featureName).to.equal('alpha');
      const got = await store.get('alpha');
      expect(got?.isEnabled).to.equal(true);
      expect(got?.meta.clientData).to.deep.equal({ owner: 'growth' });
      expect(got?.meta.createdDate).to.be.within(before - 1, Math.ceil(Date.now() / 1000) + 1);
      expect(got?.meta.conditions).to.have.length(0);
      expect(got?.meta.bucketer).to.be.instanceOf(NoOpBucketer);
    });

    it('create over an existing name replaces it with a fresh item', async function () {
      await store.create('alpha', { isEnabled: true, clientData: { a: 1 } });
      const client = new FeatureFlagClient(store);
      await client.addCondition('alpha', new Condition({ x: 1 }));
      await store.create('alpha');
      const got = await store.get('alpha');
      expect(got?.isEnabled).to.equal(false);
      expect(got?.meta.clientData).to.deep.equal({});
      expect(got?.meta.conditions).to.have.length(0);
    });

    it('get of a missing flag is undefined', async function () {
      expect(await store.get('missing')).to.equal(undefined);
    });

    it('set toggles a flag and keeps its meta; set on a missing flag creates it', async function () {
      await store.create('alpha', { clientData: { keep: true } });
      await store.set('alpha', true);
      expect((await store.get('alpha'))?.isEnabled).to.equal(true);
      expect((await store.get('alpha'))?.meta.clientData).to.deep.equal({ keep: true });
      await store.set('beta', true);
      expect((await store.get('beta'))?.isEnabled).to.equal(true);
    });

    it('delete removes a flag; deleting a missing flag does nothing', async function () {
      await store.create('alpha');
      await store.delete('alpha');
      expect(await store.get('alpha')).to.equal(undefined);
      await store.delete('alpha');
    });

    it('setMeta on a missing flag rejects with FlagDoesNotExistError', async function () {
      const item = await store.create('alpha');
      await store.delete('alpha');
      let error: unknown;
      try {
        await store.setMeta('alpha', item.meta);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(FlagDoesNotExistError);
      expect(await store.get('alpha')).to.equal(undefined);
    });

    it('lists in ascending UTF-8 order with limit and offset', async function () {
      const names = ['b', 'a', 'é', 'Z', 'a-1', '😀', 'ｚ'];
      for (const n of names) await store.create(n);
      const sorted = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect((await store.list()).map((i) => i.featureName)).to.deep.equal(sorted);
      expect((await store.list({ limit: 2 })).map((i) => i.featureName)).to.deep.equal(sorted.slice(0, 2));
      expect((await store.list({ limit: 3, offset: 2 })).map((i) => i.featureName)).to.deep.equal(sorted.slice(2, 5));
      expect(await store.list({ offset: 100 })).to.deep.equal([]);
      expect(await store.list({ limit: 0 })).to.deep.equal([]);
    });

    it('rejects a negative limit or offset with InvalidArgumentError', async function () {
      for (const page of [{ limit: -1 }, { offset: -1 }]) {
        let error: unknown;
        try {
          await store.list(page);
        } catch (e) {
          error = e;
        }
        expect(error, JSON.stringify(page)).to.be.instanceOf(InvalidArgumentError);
      }
    });

    it('round-trips every operator, bucketer and percentage', async function () {
      const client = new FeatureFlagClient(store);
      await client.create('rich', { isEnabled: true });
      const conditions = everyOperatorConditions();
      await client.setConditions('rich', conditions);
      const bucketers = everyBucketer();
      for (const bucketer of bucketers) {
        await client.setBucketer('rich', bucketer);
        const meta = await client.getMeta('rich');
        expect(meta.bucketer.toJSON()).to.deep.equal(bucketer.toJSON());
        expect(meta.conditions.map((c) => c.toJSON())).to.deep.equal(conditions.map((c) => c.toJSON()));
      }
    });

    it('merges client data', async function () {
      const client = new FeatureFlagClient(store);
      await client.create('alpha', { clientData: { a: 1, b: { c: 2 } } });
      await client.setClientData('alpha', { b: 3, d: 'x' });
      expect(await client.getClientData('alpha')).to.deep.equal({ a: 1, b: 3, d: 'x' });
    });

    it('keeps names with unusual characters apart', async function () {
      const names = ['with space', 'slash/in/name', 'per%cent', 'quote"\'', 'ünïcödé', 'emoji😀', 'x'.repeat(255)];
      for (const [i, n] of names.entries()) await store.create(n, { clientData: { i } });
      for (const [i, n] of names.entries()) expect((await store.get(n))?.meta.clientData, n).to.deep.equal({ i });
      expect((await store.list()).length).to.equal(names.length);
    });

    it('survives many creates and sets at once: every flag present, none corrupted', async function () {
      const names = Array.from({ length: 50 }, (_, i) => `flag-${String(i).padStart(2, '0')}`);
      await Promise.all(names.map((n) => store.create(n, { clientData: { n } })));
      await Promise.all(names.map((n, i) => store.set(n, i % 2 === 0)));
      const items = await store.list();
      expect(items.map((i) => i.featureName)).to.deep.equal(names);
      for (const [i, item] of items.entries()) {
        expect(item.isEnabled).to.equal(i % 2 === 0);
        expect(item.meta.clientData).to.deep.equal({ n: names[i] });
      }
    });

    it('never sees the flags of a store with another prefix on the same backend', async function () {
      if (!options.makeNeighbour) this.skip();
      const neighbour = await options.makeNeighbour!();
      try {
        await store.create('shared-name', { isEnabled: true });
        expect(await neighbour.get('shared-name')).to.equal(undefined);
        expect(await neighbour.list()).to.deep.equal([]);
        await neighbour.create('other', { isEnabled: true });
        expect(await store.get('other')).to.equal(undefined);
      } finally {
        if (options.cleanup) await options.cleanup(neighbour);
        await neighbour.close?.();
      }
    });

    it('reads the JSON the Python library writes, and evaluates it as Python does', async function () {
      if (!options.writeRaw) this.skip();
      const client = new FeatureFlagClient(store);
      for (const item of pythonItems()) {
        const name = (JSON.parse(item.stored_json) as { feature_name: string }).feature_name;
        await options.writeRaw!(store, name, item.stored_json);
        for (const call of item.evaluations) {
          const expected = call.readme_result ?? call.python_result;
          // Random bucketers are checked by value only where the result is certain (0% and 100%).
          expect(await client.isEnabled(name, call.checks), `${name} ${JSON.stringify(call.checks)}`).to.equal(
            expected,
          );
        }
      }
    });
  });
}
