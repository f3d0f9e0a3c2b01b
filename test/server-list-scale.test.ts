import { expect } from 'chai';
import { execFile, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FeatureFlagClient, SQLiteFeatureFlagStore } from '../client';
import { ThriftRPCFeatureFlagStore } from '../client/stores/thrift-rpc-store';
import { FeatureFlagStoreItem, FeatureFlagStoreMeta, serializeItem } from '../shared';
import { residentBytes, startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { generatePythonStubs, missingPython, PYTHON, pythonScript } from './helpers/python-stubs';
import { openSocket } from './helpers/raw-sockets';
import { encodeCall } from './helpers/raw-thrift';
import { MessageAssembler } from '../shared/thrift/wire';

const run = promisify(execFile);
const FLAGS = 20_000;
const MIB = 1024 * 1024;
const BUDGET = 8 * MIB;

const nameOf = (i: number) => `flag-${String(i).padStart(5, '0')}`;
const clientDataOf = (i: number) => ({ owner: `team-${i % 7}`, note: `flag number ${i} `.padEnd(120, '.') });

/** `Get`s made one after another from another process until `stop`, which resolves with their latencies. */
async function getLoop(port: number): Promise<{ stop(): Promise<number[]> }> {
  const child = fork(join(__dirname, 'helpers', 'get-loop-process.js'), [String(port), String(FLAGS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the Get loop exited with ${code}`)));
  });
  return {
    async stop() {
      const result = new Promise<{ latencies: number[]; missing: number }>((resolve) =>
        child.once('message', (m) => resolve(m as { latencies: number[]; missing: number })),
      );
      child.send('stop');
      const { latencies, missing } = await Promise.race([
        result,
        exited.then(() => ({ latencies: [] as number[], missing: -1 })),
      ]);
      await exited;
      expect(missing, 'flags the Get loop did not find').to.equal(0);
      return latencies;
    },
  };
}

function summary(latencies: number[]): { p50: number; p99: number; max: number; text: string } {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const [p50, p99, max] = [at(0.5), at(0.99), sorted[sorted.length - 1]];
  const text = `${sorted.length} Gets: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`;
  return { p50, p99, max, text };
}

/** `List` with no limit and no offset: everything, as the Python library asks. */
const listCall = encodeCall({ transport: 'buffered', protocol: 'binary' }, 'List', 1, () => {});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`flag server: List of ${FLAGS} flags (issue 10)`, function () {
  this.timeout(120_000);
  let gen: string | undefined;

  before(function () {
    if (missingPython() === undefined) gen = generatePythonStubs();
  });

  after(function () {
    if (gen) rmSync(gen, { recursive: true, force: true });
  });

  for (const kind of ['memory', 'sqlite'] as const) {
    describe(`on the ${kind} store`, function () {
      let server: ServerProcess;
      let dir: string;

      before(async function () {
        dir = mkdtempSync(join(tmpdir(), 'flipper-list-scale-'));
        if (kind === 'sqlite') {
          // Written straight into the file, as another program would: 20,000 calls would take longer.
          const file = join(dir, 'flags.db');
          const store = new SQLiteFeatureFlagStore(file);
          const insert = store.db.prepare('INSERT INTO feature_flags (name, item) VALUES (?, ?)');
          store.db.transaction(() => {
            for (let i = 0; i < FLAGS; i++) {
              const meta = new FeatureFlagStoreMeta({ createdDate: 1_700_000_000 + i, clientData: clientDataOf(i) });
              insert.run(nameOf(i), serializeItem(new FeatureFlagStoreItem(nameOf(i), i % 2 === 0, meta)));
            }
          })();
          await store.close();
          server = await startServerProcess(['--store', `sqlite:${file}`]);
        } else {
          server = await startServerProcess(['--store', 'memory']);
          const store = new ThriftRPCFeatureFlagStore({ port: server.port });
          try {
            for (let start = 0; start < FLAGS; start += 1000) {
              await Promise.all(
                Array.from({ length: 1000 }, (_, k) =>
                  store.create(nameOf(start + k), {
                    isEnabled: (start + k) % 2 === 0,
                    clientData: clientDataOf(start + k),
                  }),
                ),
              );
            }
          } finally {
            await store.close();
          }
        }
      });

      after(async function () {
        await server?.stop('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      });

      it("Node's list() with default options returns them all; another client's Gets meanwhile stay under 50 ms (p99)", async function () {
        const loop = await getLoop(server.port);
        const store = new ThriftRPCFeatureFlagStore({ port: server.port });
        let names: string[];
        const started = Date.now();
        try {
          await sleep(50);
          names = [];
          for await (const flag of new FeatureFlagClient(store).list()) names.push(flag.name);
        } finally {
          await store.close();
        }
        const took = Date.now() - started;
        const latencies = summary(await loop.stop());
        console.log(`      list() of ${names.length} flags in ${took} ms; meanwhile ${latencies.text}`);
        expect(names).to.have.length(FLAGS);
        expect(names[0]).to.equal(nameOf(0));
        expect(names[FLAGS - 1]).to.equal(nameOf(FLAGS - 1));
        expect(latencies.p99, 'p99 of the Gets (ms)').to.be.below(50);
      });

      it('Python (List with no limit) gets them all; Gets meanwhile stay under 50 ms (p99)', async function () {
        if (gen === undefined) {
          console.log(`      skipped: ${missingPython()}`);
          this.skip();
        }
        const loop = await getLoop(server.port);
        let out: { count: number; first: string; last: string; sorted: boolean; seconds: number };
        let latencies: ReturnType<typeof summary>;
        try {
          const { stdout } = await run(PYTHON, [pythonScript('list_all.py'), gen!, String(server.port)]);
          out = JSON.parse(stdout) as typeof out;
        } finally {
          // Stopped either way, so a failure leaves no process behind.
          latencies = summary(await loop.stop());
        }
        console.log(
          `      Python List of ${out.count} flags in ${(out.seconds * 1000).toFixed(0)} ms; meanwhile ${latencies.text}`,
        );
        expect(out).to.deep.include({ count: FLAGS, first: nameOf(0), last: nameOf(FLAGS - 1), sorted: true });
        expect(latencies.p99, 'p99 of the Gets (ms)').to.be.below(50);
      });

      it(`eight sockets each sending a List and never reading add at most their budgets (${BUDGET / MIB} MiB each) to RSS`, async function () {
        const pid = server.child.pid!;
        const before = residentBytes(pid);
        const hogs: Socket[] = [];
        const loop = await getLoop(server.port);
        let peak = before;
        let latencies: ReturnType<typeof summary>;
        try {
          for (let i = 0; i < 8; i++) {
            const hog = await openSocket(server.port);
            hog.on('error', () => {});
            hog.pause(); // never reads
            hog.write(listCall);
            hogs.push(hog);
          }
          // A ninth List, read: the server builds List replies in order, so once it is answered
          // every hog's reply has been built (and waits for its peer).
          const last = await openSocket(server.port);
          hogs.push(last);
          last.on('error', () => {});
          let answered = false;
          const assembler = new MessageAssembler({
            transport: 'buffered',
            protocol: 'binary',
            maxMessageBytes: 1 << 30,
          });
          last.on('data', (chunk: Buffer) => assembler.push(chunk, () => (answered = true)));
          last.write(listCall);
          const until = Date.now() + 60_000;
          while (!answered && Date.now() < until) {
            peak = Math.max(peak, residentBytes(pid));
            await sleep(50);
          }
          expect(answered, 'the ninth List answered').to.equal(true);
          for (let i = 0; i < 10; i++) {
            peak = Math.max(peak, residentBytes(pid));
            await sleep(50);
          }
        } finally {
          latencies = summary(await loop.stop());
          for (const hog of hogs) hog.destroy();
        }
        const growth = peak - before;
        console.log(
          `      RSS ${(before / MIB).toFixed(0)} MB -> peak ${(peak / MIB).toFixed(0)} MB (+${(growth / MIB).toFixed(0)} MB, ` +
            `budgets ${(8 * BUDGET) / MIB} MB); meanwhile ${latencies.text}`,
        );
        expect(growth, 'RSS growth').to.be.at.most(8 * BUDGET);
        expect(latencies.p99, 'p99 of the Gets (ms)').to.be.below(50);
      });
    });
  }
});
