import { expect } from 'chai';
import { Condition, ConsistentHashPercentageBucketer, InvalidItemError, Percentage } from '../../shared';
import { FeatureFlagClient } from '../client';
import type { FeatureFlagStore } from '../stores/feature-flag-store';
import { PYTHON_ITEMS } from './python-items';
import { recordingLogger } from './recording-logger';
import { rejectionOf } from './settle';
import { caseNeeding, type SuiteScope } from './suite-scope';

const nameOf = (json: string) => (JSON.parse(json) as { feature_name: string }).feature_name;

/** JSON text parsed, so two texts compare as structures (key order and spacing aside). */
const parsed = (text: string | Buffer | undefined) =>
  text === undefined ? undefined : (JSON.parse(Buffer.isBuffer(text) ? text.toString('utf8') : text) as unknown);

/**
 * The cases on the text the backend holds, written or read by another program (the Python
 * library): they need `writeRaw` and `readRaw`.
 */
export function describeStoredTextCases<S extends FeatureFlagStore>(scope: SuiteScope<S>): void {
  const writeRaw = (name: string, text: string) => scope.options.writeRaw!(scope.store, name, text);
  const readRaw = (name: string) => scope.options.readRaw!(scope.store, name);

  caseNeeding(
    scope,
    ['writeRaw'],
    'reads the JSON the Python library writes, and evaluates it as Python does',
    async () => {
      const client = new FeatureFlagClient(scope.store, { logger: recordingLogger() });
      for (const item of PYTHON_ITEMS) {
        const name = nameOf(item.stored_json);
        await writeRaw(name, item.stored_json);
        for (const call of item.evaluations) {
          const expected = call.readme_result ?? call.python_result;
          // Random bucketers are checked by value only where the result is certain (0% and 100%).
          expect(await client.isEnabled(name, call.checks), `${name} ${JSON.stringify(call.checks)}`).to.equal(
            expected,
          );
        }
      }
      const names = PYTHON_ITEMS.map((item) => nameOf(item.stored_json));
      names.sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect((await scope.store.list()).map((item) => item.featureName)).to.deep.equal(names);
    },
  );

  caseNeeding(
    scope,
    ['writeRaw', 'invalidJson'],
    'stored text that is not a flag: get rejects InvalidItemError, isEnabled gives the default, list skips and logs it',
    async () => {
      await scope.store.create('a', { isEnabled: true });
      await writeRaw('b', '{"feature_name": "b", not json');
      await writeRaw('c', '{"feature_name": "c", "is_enabled": true, "meta": []}');
      await scope.store.create('d', { isEnabled: true });
      for (const bad of ['b', 'c'])
        expect(await rejectionOf(scope.store.get(bad)), bad).to.be.instanceOf(InvalidItemError);
      const client = new FeatureFlagClient(scope.store, { logger: recordingLogger() });
      expect(await client.isEnabled('b', {}, { default: true })).to.equal(true);
      expect(await client.isEnabled('a')).to.equal(true);

      const logger = scope.context.logger;
      logger.lines.length = 0;
      expect((await scope.store.list()).map((item) => item.featureName)).to.deep.equal(['a', 'd']);
      const logged = [...logger.at('warn'), ...logger.at('error')].map((line) => (line.obj as { flag?: unknown }).flag);
      expect(logged, 'the skipped flags, logged with their name in the `flag` field').to.have.members(['b', 'c']);
      expect((await scope.store.get('d'))?.isEnabled).to.equal(true);
    },
  );

  caseNeeding(scope, ['readRaw'], "stores a flag as the Python library's JSON", async () => {
    const client = new FeatureFlagClient(scope.store, { logger: recordingLogger() });
    await client.create('layout', { isEnabled: true, clientData: { owner: 'growth' } });
    await client.addCondition('layout', new Condition({ is_admin: true }));
    const bucketer = new ConsistentHashPercentageBucketer({
      keyWhitelist: ['user_id'],
      percentage: new Percentage(0.5),
    });
    await client.setBucketer('layout', bucketer);
    const stored = parsed(await readRaw('layout')) as { meta: { created_date: unknown } };
    expect(stored).to.deep.equal({
      feature_name: 'layout',
      is_enabled: true,
      meta: {
        client_data: { owner: 'growth' },
        created_date: stored.meta.created_date,
        conditions: [{ is_admin: [{ variable: 'is_admin', value: true, operator: null }] }],
        bucketer: {
          type: 'ConsistentHashPercentageBucketer',
          percentage: { type: 'Percentage', value: 0.5 },
          key_whitelist: ['user_id'],
        },
      },
    });
    expect(stored.meta.created_date).to.be.a('number');
  });

  caseNeeding(scope, ['writeRaw', 'readRaw'], "writes a Python flag back as Python's JSON", async () => {
    for (const item of PYTHON_ITEMS) {
      const name = nameOf(item.stored_json);
      await writeRaw(name, item.stored_json);
      const read = (await scope.store.get(name))!;
      await scope.store.setMeta(name, read.meta);
      await scope.store.set(name, read.isEnabled);
      expect(parsed(await readRaw(name)), name).to.deep.equal(parsed(item.stored_json));
    }
    expect(await readRaw('missing')).to.equal(undefined);
  });
}
