import { expect } from 'chai';
import type { FeatureFlagStore } from '../stores/feature-flag-store';
import { caseNeeding, type SuiteScope } from './suite-scope';

const names = async (store: FeatureFlagStore) => (await store.list()).map((item) => item.featureName);

/** The cases with two stores on one backend: a neighbour under another prefix, and a second writer. */
export function describeSharedBackendCases<S extends FeatureFlagStore>(scope: SuiteScope<S>): void {
  caseNeeding(
    scope,
    ['makeNeighbour'],
    'never sees the flags of a store with another prefix on the same backend',
    async () => {
      const neighbour = await scope.options.makeNeighbour!(scope.context);
      try {
        await scope.store.create('shared-name', { isEnabled: true });
        expect(await neighbour.get('shared-name')).to.equal(undefined);
        expect(await neighbour.list()).to.deep.equal([]);
        await neighbour.create('other', { isEnabled: true });
        expect(await scope.store.get('other')).to.equal(undefined);
        expect(await names(scope.store)).to.deep.equal(['shared-name']);
      } finally {
        await scope.options.cleanup?.(neighbour);
        await neighbour.close?.();
      }
    },
  );

  caseNeeding(
    scope,
    ['makeSecondStore'],
    'a second store on the same backend sees every write of the first at once, and back',
    async () => {
      const second = await scope.options.makeSecondStore!(scope.store, scope.context);
      const first = scope.store;
      try {
        await first.create('a', { isEnabled: true, clientData: { v: 1 } });
        expect((await second.get('a'))?.meta.clientData).to.deep.equal({ v: 1 });
        await second.set('a', false);
        expect((await first.get('a'))?.isEnabled).to.equal(false);
        await first.setMeta('a', (await first.get('a'))!.meta.with({ clientData: { v: 2 } }));
        expect((await second.get('a'))?.meta.clientData).to.deep.equal({ v: 2 });
        await second.create('b', { isEnabled: true });
        expect(await names(first)).to.deep.equal(['a', 'b']);
        expect(await names(second)).to.deep.equal(['a', 'b']);
        await first.delete('b');
        expect(await second.get('b')).to.equal(undefined);
        await second.delete('a');
        expect(await first.get('a')).to.equal(undefined);
      } finally {
        await second.close?.();
      }
    },
  );
}
