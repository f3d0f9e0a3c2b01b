// Forked by the List scale test: lists every flag of the server on port argv[2] with
// FeatureFlagClient.list() over an RPC store with default options, sends back how many came, the
// first and last names and the time taken, and exits.
import { FeatureFlagClient } from '../../client';
import { ThriftRPCFeatureFlagStore } from '../../client/stores/thrift-rpc-store';

async function main(): Promise<void> {
  const store = new ThriftRPCFeatureFlagStore({ port: Number(process.argv[2]) });
  const names: string[] = [];
  const started = Date.now();
  for await (const flag of new FeatureFlagClient(store).list()) names.push(flag.name);
  const ms = Date.now() - started;
  await store.close();
  process.send!({ count: names.length, first: names[0], last: names[names.length - 1], ms }, () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
