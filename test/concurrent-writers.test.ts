import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import {
  Condition,
  FeatureFlagClient,
  FeatureFlagStoreMeta,
  MemoryFeatureFlagStore,
  type FeatureFlagStoreItem,
  SQLiteFeatureFlagStore,
  type FeatureFlagStore,
} from '../client';
import { silentLogger } from './helpers/controlled-store';
import { openStore, type BackendSpec } from './helpers/race-backends';
import { serve, type Served } from './helpers/rpc-served';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

const RUN = `cw_${process.pid}_${randomBytes(4).toString('hex')}`;

/** Two stores with their own connections over one backend, and how to clean up. */
interface Setup {
  first: FeatureFlagStore;
  second: FeatureFlagStore;
  /** Rounds of each race (fewer where every call is an HTTP round trip). */
  rounds: number;
  close(): Promise<void>;
}

/** Two RPC connections to one flag server over a backend opened from `spec`. */
function overRpc(spec: () => BackendSpec, cleanup?: (spec: BackendSpec) => Promise<void>) {
  return async (): Promise<Setup> => {
    const s = spec();
    const backend = openStore(s);
    const served: Served = await serve(backend.store, { closeBackend: false });
    const second = openStore({ kind: 'rpc', port: served.port });
    return {
      first: served.rpc,
      second: second.store,
      rounds: 200,
      close: async () => {
        await second.close();
        await served.close();
        await backend.close();
        await cleanup?.(s);
      },
    };
  };
}

let serial = 0;
const tmp = mkdtempSync(join(tmpdir(), 'flipper-cw-'));
const sqlite = (): BackendSpec => ({ kind: 'sqlite', path: join(tmp, `${serial++}.db`) });
const redis = (): BackendSpec => ({ kind: 'redis', baseKey: `${RUN}-${serial++}` });
const postgres = (): BackendSpec => ({ kind: 'postgres', table: `${RUN}_${serial++}` });
async function dropTable(spec: BackendSpec): Promise<void> {
  if (spec.kind !== 'postgres') return;
  const pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 1 });
  await dropFlagTableAndFeed(pool, spec.table);
  await pool.end();
}

// Every store also runs the concurrent-writer cases of the conformance suite (20 rounds each, two
// stores on one backend); these are the 200-round races over RPC, where the server's
// conditional SetIf/SetMetaIf and the RPC store's retries are what keep both changes.
const SETUPS: Array<[string, () => Promise<Setup>]> = [
  ['RPC over SQLite', overRpc(sqlite)],
  ['RPC over Redis', overRpc(redis)],
  ['RPC over PostgreSQL', overRpc(postgres, dropTable)],
];

/** Runs the assertions on the flag as the backend holds it (read through the first store). */
async function expectStored(s: Setup, name: string, check: (item: FeatureFlagStoreItem | undefined) => void) {
  check(await s.first.get(name));
}

describe('concurrent writers: every acknowledged change is kept', function () {
  this.timeout(60_000);

  after(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const [name, setup] of SETUPS) {
    describe(name, function () {
      let s: Setup;
      let a: FeatureFlagClient;
      let b: FeatureFlagClient;

      before(async function () {
        s = await setup();
        a = new FeatureFlagClient(s.first, { logger: silentLogger });
        b = new FeatureFlagClient(s.second, { logger: silentLogger });
      });

      after(async function () {
        await s?.close();
      });

      it('disable racing setClientData: the flag is off and holds the data, every round', async function () {
        for (let round = 0; round < s.rounds; round++) {
          await s.first.create('kill-switch', { isEnabled: true, clientData: { round: -1 } });
          await Promise.all([a.disable('kill-switch'), b.setClientData('kill-switch', { round })]);
          await expectStored(s, 'kill-switch', (item) => {
            expect(item!.isEnabled, `round ${round}`).to.equal(false);
            expect(item!.meta.clientData.round, `round ${round}`).to.equal(round);
          });
        }
      });

      it('enable racing addCondition: the flag is on and has the condition, every round', async function () {
        for (let round = 0; round < s.rounds; round++) {
          await s.first.create('rollout');
          await Promise.all([a.enable('rollout'), b.addCondition('rollout', new Condition({ round }))]);
          await expectStored(s, 'rollout', (item) => {
            expect(item!.isEnabled, `round ${round}`).to.equal(true);
            expect(item!.meta.conditions, `round ${round}`).to.have.length(1);
          });
        }
      });

      it('set racing setMeta from two connections: neither is lost', async function () {
        for (let round = 0; round < Math.min(s.rounds, 100); round++) {
          const created = await s.first.create('pair');
          const meta = new FeatureFlagStoreMeta({ createdDate: created.meta.createdDate, clientData: { round } });
          await Promise.all([s.first.set('pair', true), s.second.setMeta('pair', meta)]);
          await expectStored(s, 'pair', (item) => {
            expect(item!.isEnabled, `round ${round}`).to.equal(true);
            expect(item!.meta.clientData.round, `round ${round}`).to.equal(round);
          });
        }
      });

      it('delete racing set: a flag that comes back has none of its old data', async function () {
        for (let round = 0; round < Math.min(s.rounds, 100); round++) {
          await s.first.create('doomed', { clientData: { old: true } });
          await a.addCondition('doomed', new Condition({ old: true }));
          await Promise.all([s.first.delete('doomed'), s.second.set('doomed', true)]);
          const item = await s.first.get('doomed');
          if (item !== undefined) {
            expect(item.meta.clientData, `round ${round}`).to.deep.equal({});
            expect(item.meta.conditions, `round ${round}`).to.have.length(0);
            expect(item.isEnabled, `round ${round}`).to.equal(true);
          }
        }
      });

      it('ten writers each setting their own client data key: each key holds its last value', async function () {
        await s.first.create('shared');
        const clients = [a, b];
        await Promise.all(
          Array.from({ length: 10 }, async (_, writer) => {
            const client = clients[writer % 2];
            for (let value = 0; value < 10; value++) await client.setClientData('shared', { [`w${writer}`]: value });
          }),
        );
        await expectStored(s, 'shared', (item) => {
          for (let writer = 0; writer < 10; writer++) {
            expect(item!.meta.clientData[`w${writer}`], `w${writer}`).to.equal(9);
          }
        });
      });
    });
  }
});

describe('update: the conditional read-modify-write of every store', function () {
  it('SQLite: the read, the change and the write are one BEGIN IMMEDIATE transaction (no retry, no pause)', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'flipper-cw-'));
    try {
      // Two SQLite stores: the second changes the flag between the first's read and write.
      const path = join(dir, 'flags.db');
      const store = new SQLiteFeatureFlagStore(path);
      const other = new SQLiteFeatureFlagStore(path);
      await store.create('f');
      let calls = 0;
      const draws: number[] = [];
      const result = store.update(
        'f',
        (item) => {
          calls++;
          return item.withEnabled(true);
        },
        { random: () => (draws.push(0), 0) },
      );
      await result;
      expect(calls).to.equal(1); // SQLite: one BEGIN IMMEDIATE transaction, no conflict possible
      expect(draws).to.have.length(0);
      await other.close();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('memory: a missing flag is FlagDoesNotExistError, the change is not called', async function () {
    const store = new MemoryFeatureFlagStore();
    let called = false;
    const error = await store
      .update('absent', (item) => {
        called = true;
        return item;
      })
      .catch((e: unknown) => e);
    expect((error as Error).name).to.equal('FlagDoesNotExistError');
    expect(called).to.equal(false);
  });
});
