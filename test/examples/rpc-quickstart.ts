// The README's Node example: create, enable and check a flag on a running flipper-server.
// The README shows it importing 'flipper-client'; here it imports the built package from source.
import { FeatureFlagClient, ThriftRPCFeatureFlagStore } from '../../client';

async function main(): Promise<void> {
  const store = new ThriftRPCFeatureFlagStore({ host: '127.0.0.1', port: Number(process.env.FLIPPER_PORT ?? 9090) });
  const features = new FeatureFlagClient(store);

  await features.create('new-checkout', { clientData: { owner: 'payments' } });
  await features.enable('new-checkout');
  console.log(await features.isEnabled('new-checkout')); // true

  await store.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
