import { expect } from 'chai';
import { Condition, FlagDoesNotExistError, InvalidArgumentError, NoOpBucketer } from '../../shared';
import { FeatureFlagClient } from '../client';
import type { FeatureFlagStore } from '../stores/feature-flag-store';
import { everyBucketer, everyOperatorConditions } from './flag-shapes';
import { recordingLogger } from './recording-logger';
import { rejectionOf } from './settle';
import type { SuiteScope } from './suite-scope';

/** The store contract every store meets (`FeatureFlagStore`'s doc comments), on the store of each case. */
export function describeContractCases<S extends FeatureFlagStore>(scope: SuiteScope<S>): void {
  it('create returns a fresh item and get reads it back', async function () {
    const before = Math.floor(Date.now() / 1000);
    const item = await scope.store.create('alpha', { isEnabled: true, clientData: { owner: 'growth' } });
    expect(item.featureName).to.equal('alpha');
    const got = await scope.store.get('alpha');
    expect(got?.isEnabled).to.equal(true);
    expect(got?.meta.clientData).to.deep.equal({ owner: 'growth' });
    expect(got?.meta.createdDate).to.be.within(before - 1, Math.ceil(Date.now() / 1000) + 1);
    expect(got?.meta.conditions).to.have.length(0);
    expect(got?.meta.bucketer).to.be.instanceOf(NoOpBucketer);
  });

  it('create over an existing name replaces it with a fresh item', async function () {
    await scope.store.create('alpha', { isEnabled: true, clientData: { a: 1 } });
    const client = new FeatureFlagClient(scope.store, { logger: recordingLogger() });
    await client.addCondition('alpha', new Condition({ x: 1 }));
    await scope.store.create('alpha');
    const got = await scope.store.get('alpha');
    expect(got?.isEnabled).to.equal(false);
    expect(got?.meta.clientData).to.deep.equal({});
    expect(got?.meta.conditions).to.have.length(0);
  });

  it('get of a missing flag is undefined', async function () {
    expect(await scope.store.get('missing')).to.equal(undefined);
  });

  it('set toggles a flag and keeps its meta; set on a missing flag creates it', async function () {
    await scope.store.create('alpha', { clientData: { keep: true } });
    await scope.store.set('alpha', true);
    expect((await scope.store.get('alpha'))?.isEnabled).to.equal(true);
    expect((await scope.store.get('alpha'))?.meta.clientData).to.deep.equal({ keep: true });
    await scope.store.set('beta', true);
    expect((await scope.store.get('beta'))?.isEnabled).to.equal(true);
  });

  it('delete removes a flag; deleting a missing flag does nothing', async function () {
    await scope.store.create('alpha');
    await scope.store.delete('alpha');
    expect(await scope.store.get('alpha')).to.equal(undefined);
    await scope.store.delete('alpha');
  });

  it('setMeta on a missing flag rejects with FlagDoesNotExistError', async function () {
    const item = await scope.store.create('alpha');
    await scope.store.delete('alpha');
    expect(await rejectionOf(scope.store.setMeta('alpha', item.meta))).to.be.instanceOf(FlagDoesNotExistError);
    expect(await scope.store.get('alpha')).to.equal(undefined);
  });

  it('lists in ascending UTF-8 order with limit and offset', async function () {
    const names = ['b', 'a', 'é', 'Z', 'a-1', '😀', 'ｚ'];
    for (const n of names) await scope.store.create(n);
    const sorted = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect((await scope.store.list()).map((i) => i.featureName)).to.deep.equal(sorted);
    expect((await scope.store.list({ limit: 2 })).map((i) => i.featureName)).to.deep.equal(sorted.slice(0, 2));
    expect((await scope.store.list({ limit: 3, offset: 2 })).map((i) => i.featureName)).to.deep.equal(
      sorted.slice(2, 5),
    );
    expect(await scope.store.list({ offset: 100 })).to.deep.equal([]);
    expect(await scope.store.list({ limit: 0 })).to.deep.equal([]);
  });

  it('rejects a negative limit or offset with InvalidArgumentError', async function () {
    for (const page of [{ limit: -1 }, { offset: -1 }]) {
      expect(await rejectionOf(scope.store.list(page)), JSON.stringify(page)).to.be.instanceOf(InvalidArgumentError);
    }
  });

  it('round-trips every operator, bucketer and percentage', async function () {
    const client = new FeatureFlagClient(scope.store, { logger: recordingLogger() });
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
    const client = new FeatureFlagClient(scope.store, { logger: recordingLogger() });
    await client.create('alpha', { clientData: { a: 1, b: { c: 2 } } });
    await client.setClientData('alpha', { b: 3, d: 'x' });
    expect(await client.getClientData('alpha')).to.deep.equal({ a: 1, b: 3, d: 'x' });
  });

  it('keeps names with unusual characters apart', async function () {
    const names = ['with space', 'slash/in/name', 'per%cent', 'quote"\'', 'ünïcödé', 'emoji😀', 'x'.repeat(255)];
    for (const [i, n] of names.entries()) await scope.store.create(n, { clientData: { i } });
    for (const [i, n] of names.entries()) expect((await scope.store.get(n))?.meta.clientData, n).to.deep.equal({ i });
    expect((await scope.store.list()).length).to.equal(names.length);
  });

  it('survives many creates and sets at once: every flag present, none corrupted', async function () {
    const names = Array.from({ length: 50 }, (_, i) => `flag-${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n) => scope.store.create(n, { clientData: { n } })));
    await Promise.all(names.map((n, i) => scope.store.set(n, i % 2 === 0)));
    const items = await scope.store.list();
    expect(items.map((i) => i.featureName)).to.deep.equal(names);
    for (const [i, item] of items.entries()) {
      expect(item.isEnabled).to.equal(i % 2 === 0);
      expect(item.meta.clientData).to.deep.equal({ n: names[i] });
    }
  });
}
