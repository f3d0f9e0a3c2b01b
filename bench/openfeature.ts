import { InMemoryProvider, OpenFeature } from '@openfeature/server-sdk';
import { FeatureFlagClient, MemoryFeatureFlagStore } from '../client';
import { FlipperProvider } from '../client/openfeature';
import { opsPerSecond, report } from './harness';

/** One boolean evaluation through the OpenFeature SDK: our provider on a memory store vs the SDK's InMemoryProvider. */
export async function runOpenFeatureBench(): Promise<void> {
  console.log('\n# OpenFeature SDK evaluation (getBooleanValue)');
  const client = new FeatureFlagClient(new MemoryFeatureFlagStore());
  await client.create('PLAIN', { isEnabled: true });
  await OpenFeature.setProviderAndWait('flipper', new FlipperProvider(client));
  await OpenFeature.setProviderAndWait(
    'in-memory',
    new InMemoryProvider({ PLAIN: { variants: { on: true, off: false }, defaultVariant: 'on', disabled: false } }),
  );
  const ours = OpenFeature.getClient('flipper');
  const theirs = OpenFeature.getClient('in-memory');
  const context = { targetingKey: 'user-1' };
  const baseline = await opsPerSecond(() => theirs.getBooleanValue('PLAIN', false, context), { iterations: 20_000 });
  const measured = await opsPerSecond(() => ours.getBooleanValue('PLAIN', false, context), { iterations: 20_000 });
  report('OpenFeature getBooleanValue, memory store', measured, baseline, "SDK's InMemoryProvider", 1.1);
  await OpenFeature.close();
}
