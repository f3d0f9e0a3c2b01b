import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import Consul from 'consul';
import Redis from 'ioredis';
import { Pool } from 'pg';
import {
  ConsulFeatureFlagStore,
  FeatureFlagStoreMeta,
  S3FeatureFlagStore,
  InvalidArgumentError,
  InvalidFlagNameError,
  MemoryFeatureFlagStore,
  PostgreSQLFeatureFlagStore,
  RedisFeatureFlagStore,
  SQLiteFeatureFlagStore,
  type FeatureFlagStore,
} from '../client';
import { failure } from './helpers/controlled-store';
import { FakeConsul } from './helpers/fake-consul';
import { S3Server } from './helpers/s3-server';
import { serve, type Served } from './helpers/rpc-served';
import { uniqueNames } from './helpers/store-capabilities';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

const uniqueKey = uniqueNames('flipper_names', '_');

/** Names no store takes, with what makes each bad. */
const BAD_NAMES: Array<[string, string]> = [
  ['empty', ''],
  ['256 characters', 'n'.repeat(256)],
  ['a lone high surrogate', 'a\uD800b'],
  ['a lone low surrogate', '\uDC00'],
  ['a reversed pair', '\uDE00\uD83D'],
];

/** Every operation that takes a name. */
const OPERATIONS: Array<[string, (store: FeatureFlagStore, name: string) => Promise<unknown>]> = [
  ['create', (store, name) => store.create(name)],
  ['get', (store, name) => store.get(name)],
  ['set', (store, name) => store.set(name, true)],
  ['delete', (store, name) => store.delete(name)],
  ['setMeta', (store, name) => store.setMeta(name, new FeatureFlagStoreMeta({ createdDate: 1 }))],
  ['update', (store, name) => store.update!(name, (item) => item.withEnabled(true))],
];

interface Subject {
  name: string;
  open(): Promise<{ store: FeatureFlagStore; close(): Promise<void> }>;
  /** Whether a NUL in a name can be stored (PostgreSQL text cannot hold one); undefined: not tried. */
  holdsNul?: boolean;
  /** The error a name the backend cannot hold gives (over RPC: the server's INVALID_ARGUMENT). */
  nulError?: new (...args: never[]) => Error;
}

async function postgres(): Promise<{ store: PostgreSQLFeatureFlagStore; close(): Promise<void> }> {
  const pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
  const table = uniqueKey();
  const store = new PostgreSQLFeatureFlagStore(pool, { tableName: table });
  return {
    store,
    close: async () => {
      await dropFlagTableAndFeed(pool, table);
      await pool.end();
    },
  };
}

function overRpc(open: () => Promise<{ store: FeatureFlagStore; close(): Promise<void> }>) {
  return async () => {
    const backend = await open();
    const served: Served = await serve(backend.store, { closeBackend: false });
    return {
      store: served.rpc,
      close: async () => {
        await served.close();
        await backend.close();
      },
    };
  };
}

const SUBJECTS: Subject[] = [
  {
    name: 'memory',
    holdsNul: true,
    open: async () => ({ store: new MemoryFeatureFlagStore(), close: async () => {} }),
  },
  {
    name: 'SQLite',
    holdsNul: true,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flipper-names-'));
      const store = new SQLiteFeatureFlagStore(join(dir, 'flags.db'));
      return {
        store,
        close: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'Redis',
    holdsNul: true,
    open: async () => {
      const redis = new Redis({ host: '127.0.0.1', port: 6379 });
      const key = uniqueKey();
      return {
        store: new RedisFeatureFlagStore(redis, { baseKey: key }),
        close: async () => {
          const keys = await redis.keys(`${key}/*`);
          if (keys.length > 0) await redis.del(...keys);
          await redis.quit();
        },
      };
    },
  },
  { name: 'PostgreSQL', holdsNul: false, nulError: InvalidFlagNameError, open: postgres },
  {
    name: 'RPC (server on memory)',
    holdsNul: true,
    open: overRpc(async () => ({ store: new MemoryFeatureFlagStore(), close: async () => {} })),
  },
  { name: 'RPC (server on PostgreSQL)', holdsNul: false, nulError: InvalidArgumentError, open: overRpc(postgres) },
  {
    // A NUL in an object key is not tried: s3rver keeps objects as files.
    name: 'S3 (s3rver)',
    open: async () => {
      const server = await new S3Server().start();
      const s3 = new S3Client({
        endpoint: server.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      const bucket = uniqueKey().replace(/_/g, '-');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return {
        store: new S3FeatureFlagStore(s3, bucket),
        close: async () => {
          s3.destroy();
          await server.close();
        },
      };
    },
  },
  {
    name: 'Consul (the fake agent)',
    open: async () => {
      const fake = await new FakeConsul().start();
      const store = new ConsulFeatureFlagStore(new Consul({ host: '127.0.0.1', port: fake.port }), { wait: 5 });
      return {
        store,
        close: async () => {
          await store.close();
          await fake.close();
        },
      };
    },
  },
];

describe('bad flag names: a typed error on every store and over RPC, nothing stored', function () {
  this.timeout(20_000);

  for (const subject of SUBJECTS) {
    describe(subject.name, function () {
      it('empty, too long, or not Unicode text (lone surrogates): InvalidFlagNameError from every operation', async function () {
        const { store, close } = await subject.open();
        try {
          for (const [what, name] of BAD_NAMES) {
            for (const [operation, run] of OPERATIONS) {
              const error = await failure(run(store, name));
              expect(error, `${operation} of a name ${what}`).to.be.instanceOf(InvalidFlagNameError);
            }
          }
          // Nothing was stored; U+FFFD itself (what a lone surrogate would have become) is a fine name.
          expect(await store.list()).to.deep.equal([]);
          await store.create('ok\uFFFD');
          expect((await store.list()).map((item) => item.featureName)).to.deep.equal(['ok\uFFFD']);
        } finally {
          await close();
        }
      });

      if (subject.holdsNul === undefined) return;
      it(
        subject.holdsNul
          ? 'a NUL in a name is an ordinary character: stored and read back'
          : 'a NUL in a name, which the backend cannot hold: a typed error naming it, not INTERNAL',
        async function () {
          const { store, close } = await subject.open();
          try {
            if (subject.holdsNul) {
              await store.create('a\0b', { isEnabled: true });
              expect((await store.get('a\0b'))?.isEnabled).to.equal(true);
              expect(await store.get('a')).to.equal(undefined);
              expect((await store.list()).map((item) => item.featureName)).to.deep.equal(['a\0b']);
              return;
            }
            for (const [operation, run] of OPERATIONS) {
              const error = await failure(run(store, 'a\0b'));
              expect(error, operation).to.be.instanceOf(subject.nulError!);
              expect((error as Error).message, operation).to.match(/NUL/);
            }
            expect(await store.list()).to.deep.equal([]);
          } finally {
            await close();
          }
        },
      );
    });
  }
});
