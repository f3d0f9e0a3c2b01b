import { expect } from 'chai';
import { Condition, DEFAULT_MAX_FLAG_BYTES, InvalidArgumentError, InvalidItemError } from '../../shared';
import { FeatureFlagClient } from '../client';
import type { FeatureFlagStore } from '../stores/feature-flag-store';
import { recordingLogger } from './recording-logger';
import { rejectionOf } from './settle';
import { caseNeeding, type SuiteScope } from './suite-scope';

/** A condition whose stored JSON is about `bytes` long: an `in` check on a list of ids. */
function conditionOfAbout(bytes: number): Condition {
  const ids = Array.from({ length: Math.ceil(bytes / 20) }, (_, i) => `user-${String(i).padStart(12, '0')}`);
  return new Condition({ user_id__in: ids });
}

/** Names that broke plain objects (the generated Thrift writer calls `map.hasOwnProperty`). */
const SPECIAL_NAMES = ['hasOwnProperty', 'constructor', 'toString', '__proto__'];

/**
 * The limits of the store contract, and flags another program wrote that cannot be read or sent:
 * nothing is accepted that cannot be returned, `list` never fails as a whole, `destroy` removes
 * any stored flag.
 */
export function describeLimitCases<S extends FeatureFlagStore>(scope: SuiteScope<S>): void {
  const writeRaw = (name: string, text: string) => scope.options.writeRaw!(scope.store, name, text);

  caseNeeding(
    scope,
    [],
    `a write leaving a flag over ${DEFAULT_MAX_FLAG_BYTES} bytes (its stored JSON) is InvalidArgumentError naming the limit; nothing changes`,
    async function () {
      this.timeout(20_000);
      const client = new FeatureFlagClient(scope.store, { logger: recordingLogger() });
      await client.create('sized', { isEnabled: true });
      await client.addCondition('sized', conditionOfAbout(DEFAULT_MAX_FLAG_BYTES * 0.6));
      const error = await rejectionOf(client.addCondition('sized', conditionOfAbout(DEFAULT_MAX_FLAG_BYTES * 0.5)));
      expect(error).to.be.instanceOf(InvalidArgumentError);
      expect((error as Error).message).to.include(`${DEFAULT_MAX_FLAG_BYTES}-byte flag size limit`);
      const meta = await client.getMeta('sized');
      expect(meta.conditions).to.have.length(1);
      expect(await client.isEnabled('sized', { user_id: 'user-000000000007' })).to.equal(true);
    },
  );

  caseNeeding(
    scope,
    [],
    `conditions on ${SPECIAL_NAMES.join(', ')} are stored, read, listed and evaluated as ordinary names`,
    async () => {
      const client = new FeatureFlagClient(scope.store, { logger: recordingLogger() });
      await client.create('poison', { isEnabled: true });
      await client.create('plain', { isEnabled: true });
      const checks = Object.fromEntries(SPECIAL_NAMES.map((name, i) => [name, i])) as Record<string, never>;
      await client.addCondition('poison', new Condition(checks));
      const read = (await scope.store.get('poison'))!;
      expect(read.meta.conditions[0].variables).to.have.members(SPECIAL_NAMES);
      expect((await scope.store.list()).map((item) => item.featureName)).to.deep.equal(['plain', 'poison']);
      expect(await client.isEnabled('poison', checks)).to.equal(true);
      const wrong = Object.fromEntries([['hasOwnProperty', 9]]) as Record<string, never>;
      expect(await client.isEnabled('poison', wrong)).to.equal(false);
    },
  );

  caseNeeding(
    scope,
    ['writeRaw'],
    'a flag another program stored with created_date 2^63: read intact or InvalidItemError, list keeps the others, destroy removes it',
    async () => {
      await scope.store.create('a', { isEnabled: true });
      await writeRaw(
        'huge-date',
        '{"feature_name": "huge-date", "is_enabled": true, "meta": {"client_data": {}, ' +
          '"created_date": 9223372036854775808, "conditions": [], "bucketer": {"type": "NoOpBucketer"}}}',
      );
      await scope.store.create('z', { isEnabled: true });
      let readable = true;
      try {
        expect((await scope.store.get('huge-date'))?.meta.createdDate).to.equal(2 ** 63);
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidItemError);
        readable = false;
      }
      const listed = (await scope.store.list()).map((item) => item.featureName);
      expect(listed).to.deep.equal(readable ? ['a', 'huge-date', 'z'] : ['a', 'z']);
      const client = new FeatureFlagClient(scope.store, { logger: recordingLogger() });
      await client.destroy('huge-date');
      expect(await scope.store.get('huge-date')).to.equal(undefined);
      expect((await scope.store.list()).map((item) => item.featureName)).to.deep.equal(['a', 'z']);
    },
  );

  caseNeeding(scope, ['writeRaw', 'invalidJson'], 'destroy removes a stored flag that does not parse', async () => {
    await writeRaw('broken', '{"feature_name": "broken", not json');
    const client = new FeatureFlagClient(scope.store, { logger: recordingLogger() });
    await client.destroy('broken');
    expect(await scope.store.get('broken')).to.equal(undefined);
    expect(await rejectionOf(client.destroy('broken'))).to.have.property('code', 'FLAG_DOES_NOT_EXIST');
  });
}
