// Forked by the SQLite durability test: creates flags one after another on the file in argv[2],
// printing each name only after its write was acknowledged, until it is killed.
import { SQLiteFeatureFlagStore } from '../../client';

async function main(): Promise<void> {
  const store = new SQLiteFeatureFlagStore(process.argv[2]!);
  for (let i = 0; ; i++) {
    const name = `durable-${i}`;
    await store.create(name, { isEnabled: i % 2 === 0, clientData: { i } });
    process.stdout.write(`${name}\n`);
  }
}

void main();
