// Forked by the List scale test: Gets flag-00000 .. flag-<argv[3] - 1> from the server on port argv[2],
// one after another on one connection, from its own process (so the test's own work does not delay
// it), until it receives "stop"; then sends back every latency in ms and exits.
import { ThriftRPCFeatureFlagStore } from '../../client/stores/thrift-rpc-store';

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  const flags = Number(process.argv[3]);
  const store = new ThriftRPCFeatureFlagStore({ port });
  const latencies: number[] = [];
  let running = true;
  let missing = 0;
  process.on('message', () => (running = false));
  process.send!('ready');
  for (let i = 0; running; i++) {
    const name = `flag-${String((i * 7919) % flags).padStart(5, '0')}`;
    const started = process.hrtime.bigint();
    if ((await store.get(name)) === undefined) missing++;
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await store.close();
  process.send!({ latencies, missing }, () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
