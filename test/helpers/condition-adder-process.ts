// Forked by the concurrent-writers test: opens a store over the backend in argv[2] (a BackendSpec
// as JSON), says "ready", waits for "go" on stdin, then adds argv[5] distinct conditions, one after
// another, to each of the flags race-0 .. race-<argv[4] - 1>, and exits after printing "done".
import { Condition, FeatureFlagClient } from '../../client';
import { silentLogger } from './controlled-store';
import { openStore, type BackendSpec } from './race-backends';

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]!) as BackendSpec;
  const writer = process.argv[3]!;
  const flags = Number(process.argv[4]);
  const count = Number(process.argv[5]);
  const { store, close } = openStore(spec);
  const client = new FeatureFlagClient(store, { logger: silentLogger });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  for (let flag = 0; flag < flags; flag++) {
    for (let i = 0; i < count; i++) {
      await client.addCondition(`race-${flag}`, new Condition({ [`${writer}_${i}`]: i }));
    }
  }
  await close();
  process.stdout.write('done\n');
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
