import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Redis from 'ioredis';
import {
  CachedFeatureFlagStore,
  Condition,
  ConsistentHashPercentageBucketer,
  FeatureFlagClient,
  Percentage,
  ThriftRPCFeatureFlagStore,
  serializeItem,
} from '../client';

const ROUNDS = 5;
const SEQUENTIAL_CALLS = 3000;
const PIPELINED_CALLS = 20_000;
const IN_FLIGHT = 64;

/** Calls per second of `fn` awaited one after another. */
async function sequential(fn: () => Promise<unknown>, calls: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await fn();
  return calls / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Calls per second of `fn` with `inFlight` calls outstanding at all times. */
async function pipelined(fn: () => Promise<unknown>, calls: number, inFlight: number): Promise<number> {
  let started = 0;
  const worker = async () => {
    while (started++ < calls) await fn();
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return calls / (Number(process.hrtime.bigint() - start) / 1e9);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function line(name: string, ours: number, baseline: number, target: number): void {
  const ratio = ours / baseline;
  const verdict = ratio >= target ? 'met' : 'MISSED';
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9);
  console.log(
    `${name.padEnd(34)} RPC ${fmt(ours)} calls/s | ioredis GET ${fmt(baseline)} calls/s | ratio ${ratio.toFixed(2)} (target >= ${target}: ${verdict})`,
  );
}

/** Starts `flipper-server --store memory` in a child process (its own CPU, like Redis) and returns its port. */
async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const cli = join(__dirname, '..', 'server', 'cli.js');
  const child = spawn(process.execPath, [cli, '--store', 'memory', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('flipper-server did not start')), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = text.match(/"port":(\d+).*"msg":"listening"/);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  child.stdout!.resume();
  return { child, port };
}

/**
 * `Get` round trips per second through ThriftRPCFeatureFlagStore to a flipper-server process (memory
 * store), sequential and with 64 calls in flight on the store's one connection, next to ioredis GET
 * of a value of the same size (the flag's stored JSON) on the local Redis, measured the same way and
 * interleaved round by round; medians of the rounds. Then reads through CachedFeatureFlagStore.
 */
export async function runRpcBench(): Promise<void> {
  console.log('\n# Flag server: Get through ThriftRPCFeatureFlagStore vs ioredis GET of the same size');
  const { child, port } = await startServer();
  const store = new ThriftRPCFeatureFlagStore({ port }, { timeout: 10_000 });
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1, lazyConnect: true });
  const key = `flipper-bench-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const client = new FeatureFlagClient(store);
    await client.create('checkout', { isEnabled: true, clientData: { owner: 'payments', ticket: 1234 } });
    await client.addCondition('checkout', new Condition({ is_admin: true }));
    await client.setBucketer(
      'checkout',
      new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.5) }),
    );
    const value = serializeItem((await store.get('checkout'))!);
    try {
      await redis.connect();
      await redis.set(key, value);
    } catch (error) {
      console.log(`skipped: Redis at 127.0.0.1:6379 is not reachable (${(error as Error).message})`);
      return;
    }
    console.log(`value: ${Buffer.byteLength(value)} bytes of flag JSON; server: flipper-server --store memory`);
    const rpcGet = () => store.get('checkout');
    const redisGet = () => redis.get(key);
    await sequential(rpcGet, 2000);
    await sequential(redisGet, 2000);
    await pipelined(rpcGet, PIPELINED_CALLS, IN_FLIGHT);
    await pipelined(redisGet, PIPELINED_CALLS, IN_FLIGHT);
    const results = {
      rpcSeq: [] as number[],
      redisSeq: [] as number[],
      rpcPipe: [] as number[],
      redisPipe: [] as number[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating who goes first spreads the machine's drift over both.
      const pairs: Array<[number[], () => Promise<number>]> = [
        [results.rpcSeq, () => sequential(rpcGet, SEQUENTIAL_CALLS)],
        [results.redisSeq, () => sequential(redisGet, SEQUENTIAL_CALLS)],
        [results.rpcPipe, () => pipelined(rpcGet, PIPELINED_CALLS, IN_FLIGHT)],
        [results.redisPipe, () => pipelined(redisGet, PIPELINED_CALLS, IN_FLIGHT)],
      ];
      if (round % 2 === 1) [pairs[0], pairs[1], pairs[2], pairs[3]] = [pairs[1], pairs[0], pairs[3], pairs[2]];
      for (const [into, measure] of pairs) into.push(await measure());
    }
    line('Get, sequential', median(results.rpcSeq), median(results.redisSeq), 0.6);
    line(`Get, ${IN_FLIGHT} in flight`, median(results.rpcPipe), median(results.redisPipe), 0.5);

    const cached = new CachedFeatureFlagStore(store);
    const cachedClient = new FeatureFlagClient(cached);
    await cachedClient.isEnabled('checkout', { user_id: 1 });
    const cachedRate = await sequential(() => cachedClient.isEnabled('checkout', { user_id: 7 }), 200_000);
    const fmt = Math.round(cachedRate).toLocaleString('en-US');
    console.log(
      `isEnabled via CachedFeatureFlagStore over RPC: ${fmt} calls/s sequential (${(cachedRate / median(results.redisSeq)).toFixed(1)}x ioredis GET)`,
    );
  } finally {
    await redis.del(key).catch(() => undefined);
    redis.disconnect();
    await store.close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}
