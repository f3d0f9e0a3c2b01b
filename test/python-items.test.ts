import { expect } from 'chai';
import { FeatureFlagClient, MemoryFeatureFlagStore, deserializeItem, serializeItem } from '../client';
import { pythonItems } from './helpers/fixtures';

describe('flags written by the Python library', function () {
  const items = pythonItems();

  it('are the 12 flags and 324 calls recorded with the Python library', function () {
    expect(items).to.have.length(12);
    expect(items.reduce((n, i) => n + i.evaluations.length, 0)).to.equal(324);
  });

  it('give the recorded result for every call (the README result where it differs from the code)', async function () {
    for (const raw of items) {
      const item = deserializeItem(raw.stored_json);
      const store = new MemoryFeatureFlagStore();
      await store.create(item.featureName);
      await store.set(item.featureName, item.isEnabled);
      await store.setMeta(item.featureName, item.meta);
      const client = new FeatureFlagClient(store);
      for (const call of raw.evaluations) {
        const expected = call.readme_result ?? call.python_result;
        const label = `${item.featureName} ${JSON.stringify(call.checks)}`;
        expect(await client.isEnabled(item.featureName, call.checks), label).to.equal(expected);
        expect((await client.explain(item.featureName, call.checks)).value, label).to.equal(expected);
      }
    }
  });

  it('are written back by us as an equal structure (numbers compared by value)', function () {
    for (const raw of items) {
      const ours = JSON.parse(serializeItem(deserializeItem(raw.stored_json)));
      expect(ours).to.deep.equal(JSON.parse(raw.stored_json));
    }
  });
});
