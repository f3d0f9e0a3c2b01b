import { expect } from 'chai';
import { Condition, FeatureFlagStoreMeta, FlagDoesNotExistError, type FeatureFlagStoreItem } from '../../shared';
import { FeatureFlagClient } from '../client';
import type { FeatureFlagStore } from '../stores/feature-flag-store';
import { updateFlag } from '../stores/update-flag';
import { caseNeeding, type SuiteScope } from './suite-scope';

/** Rounds of each race: enough to catch a read-modify-write that is not atomic, few enough to stay fast. */
const ROUNDS = 20;

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The flag as the backend holds it now: through `update` with an unchanged item where the store has
 * it (it reads the backend itself, where `get` may answer from a copy that follows the backend).
 */
async function stored(store: FeatureFlagStore, name: string): Promise<FeatureFlagStoreItem | undefined> {
  if (store.update === undefined) return store.get(name);
  try {
    return await store.update(name, (item) => item);
  } catch (error) {
    if (error instanceof FlagDoesNotExistError) return undefined;
    throw error;
  }
}

/**
 * Concurrent writers through two stores on one backend (`makeSecondStore`): no acknowledged change
 * is lost, no deleted flag comes back with its old data, and `update` re-applies a change on top
 * of another writer's.
 */
export function describeConcurrentWriterCases<S extends FeatureFlagStore>(scope: SuiteScope<S>): void {
  const race = (title: string, body: (first: S, second: S) => Promise<void>) =>
    caseNeeding(scope, ['makeSecondStore', 'atomicWrites'], title, async () => {
      const second = await scope.options.makeSecondStore!(scope.store, scope.context);
      try {
        await body(scope.store, second);
      } finally {
        await second.close?.();
      }
    });

  race('concurrent writers: disable racing setClientData keeps both, every round', async (first, second) => {
    const a = new FeatureFlagClient(first, { logger: quiet });
    const b = new FeatureFlagClient(second, { logger: quiet });
    for (let round = 0; round < ROUNDS; round++) {
      await first.create('kill-switch', { isEnabled: true });
      await Promise.all([a.disable('kill-switch'), b.setClientData('kill-switch', { round })]);
      const item = await stored(first, 'kill-switch');
      expect(item?.isEnabled, `round ${round}`).to.equal(false);
      expect(item?.meta.clientData, `round ${round}`).to.deep.equal({ round });
    }
  });

  race('concurrent writers: enable racing addCondition keeps both, every round', async (first, second) => {
    const a = new FeatureFlagClient(first, { logger: quiet });
    const b = new FeatureFlagClient(second, { logger: quiet });
    for (let round = 0; round < ROUNDS; round++) {
      await first.create('rollout');
      await Promise.all([a.enable('rollout'), b.addCondition('rollout', new Condition({ round }))]);
      const item = await stored(first, 'rollout');
      expect(item?.isEnabled, `round ${round}`).to.equal(true);
      expect(item?.meta.conditions, `round ${round}`).to.have.length(1);
    }
  });

  race('concurrent writers: set racing setMeta loses neither', async (first, second) => {
    for (let round = 0; round < ROUNDS; round++) {
      const created = await first.create('pair');
      const meta = new FeatureFlagStoreMeta({ createdDate: created.meta.createdDate, clientData: { round } });
      await Promise.all([first.set('pair', true), second.setMeta('pair', meta)]);
      const item = await stored(first, 'pair');
      expect(item?.isEnabled, `round ${round}`).to.equal(true);
      expect(item?.meta.clientData, `round ${round}`).to.deep.equal({ round });
    }
  });

  race('concurrent writers: delete racing set never brings back the old data', async (first, second) => {
    for (let round = 0; round < ROUNDS; round++) {
      await first.create('doomed', { clientData: { old: true } });
      await Promise.all([first.delete('doomed'), second.set('doomed', true)]);
      const item = await stored(first, 'doomed');
      if (item !== undefined) expect(item.meta.clientData, `round ${round}`).to.deep.equal({});
    }
  });

  race('concurrent writers: ten writers each setting their own client data key all keep it', async (first, second) => {
    await first.create('shared');
    const clients = [first, second].map((store) => new FeatureFlagClient(store, { logger: quiet }));
    await Promise.all(
      Array.from({ length: 10 }, async (_, writer) => {
        for (let value = 0; value < 5; value++) {
          await clients[writer % 2].setClientData('shared', { [`w${writer}`]: value });
        }
      }),
    );
    const data = (await stored(first, 'shared'))?.meta.clientData ?? {};
    for (let writer = 0; writer < 10; writer++) expect(data[`w${writer}`], `w${writer}`).to.equal(4);
  });
}

/**
 * `update` (optional: for a store without it, what the client does instead, `get` then `setMeta`
 * and `set`): applies the change, answers what it stored.
 */
export function describeUpdateCases<S extends FeatureFlagStore>(scope: SuiteScope<S>): void {
  it('update applies the change to the stored flag and answers the stored item; a missing flag is FlagDoesNotExistError', async function () {
    const store = scope.store;
    await store.create('u', { clientData: { a: 1 } });
    const result = await updateFlag(store, 'u', (item) =>
      item.withMeta(item.meta.with({ clientData: { ...item.meta.clientData, b: 2 } })).withEnabled(true),
    );
    expect(result.meta.clientData).to.deep.equal({ a: 1, b: 2 });
    expect(result.isEnabled).to.equal(true);
    const item = await store.get('u');
    expect(item?.meta.clientData).to.deep.equal({ a: 1, b: 2 });
    expect(item?.isEnabled).to.equal(true);
    let called = false;
    const error = await updateFlag(store, 'absent', (i) => {
      called = true;
      return i;
    }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(FlagDoesNotExistError);
    expect(called).to.equal(false);
  });
}
