import { expect } from 'chai';
import { Pool } from 'pg';
import { Condition, FeatureFlagClient, InvalidFlagNameError, PostgreSQLFeatureFlagStore, StoreError } from '../client';
import { describeStoreConformance, type FaultyBackend } from '../client/testing';
import { failure } from './helpers/controlled-store';
import { pythonItems } from './helpers/fixtures';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';
import { Leftovers, uniqueNames } from './helpers/store-capabilities';

const uniqueTable = uniqueNames('flipper_test', '_');
const PYTHON_DDL = (table: string) =>
  `CREATE TABLE IF NOT EXISTS "${table}" (name varchar(40) PRIMARY KEY, item bytea NOT NULL)`;

describe('PostgreSQLFeatureFlagStore', function () {
  let pool: Pool;
  let current: PostgreSQLFeatureFlagStore;
  const tables: string[] = [];

  before(function () {
    pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 10 });
  });

  afterEach(async function () {
    for (const table of tables.splice(0)) await dropFlagTableAndFeed(pool, table);
  });

  after(async function () {
    await pool.end();
  });

  const insertRaw = (table: string, name: string, item: string | Buffer) =>
    pool.query(
      `INSERT INTO "${table.replace(/"/g, '""')}" (name, item) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET item = EXCLUDED.item`,
      [name, typeof item === 'string' ? Buffer.from(item) : item],
    );

  const quoted = (store: PostgreSQLFeatureFlagStore) => `"${store.tableName.replace(/"/g, '""')}"`;
  const leftovers = new Leftovers();
  const poolAt = (host: string, port: number) => {
    const unusable = new Pool({ host, port, user: 'postgres', database: 'test', connectionTimeoutMillis: 1000 });
    unusable.on('error', () => {});
    return unusable;
  };
  const faulty: FaultyBackend<PostgreSQLFeatureFlagStore> = {
    makeStore: ({ host, port }, { logger }) => {
      const unusable = poolAt(host, port);
      return leftovers.keep(new PostgreSQLFeatureFlagStore(unusable, { queryTimeout: 300, logger }), () =>
        unusable.end(),
      );
    },
    withinMs: 2000,
    logsOutageOnce: true,
    release: leftovers.release,
  };

  describeStoreConformance('PostgreSQLFeatureFlagStore', {
    makeStore: ({ logger }) => {
      const table = uniqueTable();
      tables.push(table, `${table}_neighbour`);
      return (current = new PostgreSQLFeatureFlagStore(pool, { tableName: table, logger }));
    },
    cleanup: (store) => dropFlagTableAndFeed(pool, store.tableName),
    // Python's `INSERT ... (name, item)` of `item.serialize()`, the JSON as bytea.
    writeRaw: async (store, name, json) => {
      await store.get(name); // the table is created by the first call
      await insertRaw(store.tableName, name, json);
    },
    readRaw: async (store, name) => {
      const { rows } = await pool.query<{ item: Buffer }>(`SELECT item FROM ${quoted(store)} WHERE name = $1`, [name]);
      return rows[0]?.item;
    },
    makeNeighbour: ({ logger }) =>
      new PostgreSQLFeatureFlagStore(pool, { tableName: `${current.tableName}_neighbour`, logger }),
    makeSecondStore: (store, { logger }) =>
      new PostgreSQLFeatureFlagStore(pool, { tableName: store.tableName, logger }),
    unreachableBackend: faulty,
    hangingBackend: faulty,
  });

  describe('on a table the Python library made (name varchar(40))', function () {
    let table: string;
    let store: PostgreSQLFeatureFlagStore;

    beforeEach(async function () {
      table = uniqueTable();
      tables.push(table);
      await pool.query(PYTHON_DDL(table));
      for (const item of pythonItems()) {
        await insertRaw(
          table,
          (JSON.parse(item.stored_json) as { feature_name: string }).feature_name,
          item.stored_json,
        );
      }
      store = new PostgreSQLFeatureFlagStore(pool, { tableName: table });
    });

    it('keeps the Python column: a name over 40 characters is an InvalidFlagNameError naming varchar(40), and nothing else changes', async function () {
      const before = (await pool.query(`SELECT name, item FROM "${table}" ORDER BY name`)).rows;
      const client = new FeatureFlagClient(store);
      await client.create('x'.repeat(40), { isEnabled: true });
      for (const attempt of [() => client.create('y'.repeat(41)), () => store.set('z'.repeat(41), true)]) {
        const error = await failure(attempt());
        expect(error).to.be.instanceOf(InvalidFlagNameError);
        expect((error as Error).message)
          .to.match(/varchar\(40\)/)
          .and.match(/41 characters/);
      }
      const after = (
        await pool.query(`SELECT name, item FROM "${table}" WHERE name <> $1 ORDER BY name`, ['x'.repeat(40)])
      ).rows;
      expect(after).to.deep.equal(before);
      const columns = await pool.query(
        `SELECT character_maximum_length FROM information_schema.columns WHERE table_name = $1 AND column_name = 'name'`,
        [table],
      );
      expect(columns.rows[0].character_maximum_length).to.equal(40);
    });
  });

  it('creates its table with name varchar(255) and item bytea, once, even for concurrent first calls', async function () {
    const table = uniqueTable();
    tables.push(table);
    let creates = 0;
    const counting = {
      query: (config: { text: string }) => {
        if (config.text.includes('CREATE TABLE')) creates++;
        return pool.query(config);
      },
    } as unknown as Pool;
    const store = new PostgreSQLFeatureFlagStore(counting, { tableName: table });
    await Promise.all([store.get('a'), store.get('b'), store.create('c'), store.list()]);
    await store.get('a');
    expect(creates).to.equal(1);
    const columns = await pool.query(
      `SELECT column_name, data_type, character_maximum_length FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name`,
      [table],
    );
    expect(columns.rows).to.deep.equal([
      { column_name: 'item', data_type: 'bytea', character_maximum_length: null },
      { column_name: 'name', data_type: 'character varying', character_maximum_length: 255 },
    ]);
  });

  it('with runMigrations false, creates nothing and a missing table is a StoreError naming it', async function () {
    const table = uniqueTable();
    const store = new PostgreSQLFeatureFlagStore(pool, { tableName: table, runMigrations: false });
    const error = await failure(store.get('a'));
    expect(error).to.be.instanceOf(StoreError);
    expect((error as Error).message).to.include(table);
    const exists = await pool.query('SELECT to_regclass($1) AS t', [`"${table}"`]);
    expect(exists.rows[0].t).to.equal(null);
  });

  it('quotes the table and column names it is given', async function () {
    const table = `${uniqueTable()} "Odd"; DROP`;
    tables.push(table);
    await pool.query(
      `CREATE TABLE "${table.replace(/"/g, '""')}" ("Key" varchar(255) PRIMARY KEY, "Blob" bytea NOT NULL)`,
    );
    const store = new PostgreSQLFeatureFlagStore(pool, { tableName: table, nameColumn: 'Key', itemColumn: 'Blob' });
    const client = new FeatureFlagClient(store);
    await client.create('f', { isEnabled: true });
    await client.addCondition('f', new Condition({ is_admin: true }));
    expect(await client.isEnabled('f', { is_admin: true })).to.equal(true);
    expect(await client.isEnabled('f', { is_admin: false })).to.equal(false);
    expect((await store.list()).map((i) => i.featureName)).to.deep.equal(['f']);
  });
});
