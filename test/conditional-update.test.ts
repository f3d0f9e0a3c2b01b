import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { ConflictError, MemoryFeatureFlagStore } from '../client';
import { CONFLICT, retryOnConflict } from '../client/calls/conflict-retry';
import { FakeConsul } from './helpers/fake-consul';
import { openStore, type BackendSpec, type OpenedStore } from './helpers/race-backends';
import { serve, type Served } from './helpers/rpc-served';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

const RUN = `cu_${process.pid}_${randomBytes(4).toString('hex')}`;

describe('retryOnConflict', function () {
  it('retries only conflicts, pausing by the injected randomness, and gives up with ConflictError', async function () {
    let attempts = 0;
    const draws: number[] = [];
    const error = await retryOnConflict(
      'Update of "f"',
      async () => {
        attempts++;
        return CONFLICT;
      },
      { attempts: 4, random: () => (draws.push(attempts), 0.5) },
    ).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConflictError);
    expect((error as Error).message).to.match(/Update of "f": the flag kept changing under 4 attempts/);
    expect(attempts).to.equal(4);
    expect(draws).to.deep.equal([1, 2, 3]);
  });

  it('answers the first result that is not a conflict, and passes an attempt’s error through at once', async function () {
    let n = 0;
    expect(await retryOnConflict('x', async () => (++n < 3 ? CONFLICT : n), { random: () => 0 })).to.equal(3);
    const boom = new Error('boom');
    const error = await retryOnConflict('x', async () => Promise.reject(boom)).catch((e: unknown) => e);
    expect(error).to.equal(boom);
  });
});

describe('update retries a conflicting write on each backend', function () {
  this.timeout(20_000);
  let fake: FakeConsul;

  before(async function () {
    fake = await new FakeConsul().start();
  });

  after(async function () {
    await fake.close();
  });

  const specs: Array<[string, () => BackendSpec]> = [
    ['Redis (compare-and-set script)', () => ({ kind: 'redis', baseKey: `${RUN}-redis` })],
    ['PostgreSQL (conditional UPDATE)', () => ({ kind: 'postgres', table: `${RUN}_pg` })],
    ['Consul (?cas=ModifyIndex)', () => ({ kind: 'consul', port: fake.port, baseKey: `${RUN}-consul` })],
  ];

  for (const [name, spec] of specs) {
    it(name, async function () {
      const s = spec();
      const mine: OpenedStore = openStore(s);
      const theirs: OpenedStore = openStore(s);
      try {
        await mine.store.create('f', { clientData: { base: 1 } });
        // The other writer commits between our first read and our first write.
        const reads = mine.store as unknown as { readForUpdate(name: string): Promise<unknown> };
        const read = reads.readForUpdate.bind(mine.store);
        let interfered = false;
        reads.readForUpdate = async (featureName: string) => {
          const version = await read(featureName);
          if (!interfered) {
            interfered = true;
            await theirs.store.update!('f', (item) =>
              item.withMeta(item.meta.with({ clientData: { ...item.meta.clientData, theirs: true } })),
            );
          }
          return version;
        };
        let calls = 0;
        const stored = await mine.store.update!(
          'f',
          (item) => {
            calls++;
            return item.withMeta(item.meta.with({ clientData: { ...item.meta.clientData, mine: calls } }));
          },
          { random: () => 0 },
        );
        expect(calls).to.equal(2);
        expect(stored.meta.clientData).to.deep.equal({ base: 1, theirs: true, mine: 2 });
        const final = await theirs.store.update!('f', (item) => item);
        expect(final.meta.clientData).to.deep.equal({ base: 1, theirs: true, mine: 2 });
      } finally {
        await theirs.store.delete('f');
        await theirs.close();
        await mine.close();
        if (s.kind === 'postgres') {
          const pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 1 });
          await dropFlagTableAndFeed(pool, s.table);
          await pool.end();
        }
      }
    });
  }

  it('over RPC: a SetMetaIf with a stale revision is CONFLICT, and update reads again', async function () {
    const served: Served = await serve(new MemoryFeatureFlagStore());
    const other = openStore({ kind: 'rpc', port: served.port });
    try {
      await served.rpc.create('f');
      let calls = 0;
      const stored = await served.rpc.update(
        'f',
        (item, revision) => {
          calls++;
          expect(revision).to.be.a('string');
          // The memory store applies this at once, so the server's flag moves past our revision.
          if (calls === 1) void served.backend.setMeta('f', item.meta.with({ clientData: { theirs: true } }));
          return item.withMeta(item.meta.with({ clientData: { ...item.meta.clientData, mine: calls } }));
        },
        { random: () => 0 },
      );
      expect(calls).to.equal(2);
      expect(stored.meta.clientData).to.deep.equal({ theirs: true, mine: 2 });
      expect((await other.store.get('f'))!.meta.clientData).to.deep.equal({ theirs: true, mine: 2 });
    } finally {
      await other.close();
      await served.close();
    }
  });
});
