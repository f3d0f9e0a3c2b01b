import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import {
  Condition,
  ConnectionError,
  FeatureFlagClient,
  InvalidFlagNameError,
  InvalidItemError,
  PostgreSQLFeatureFlagStore,
  StoreError,
  TimeoutError,
  type FeatureFlagStore,
} from '../client';
import { recordingLogger } from './helpers/broken-store';
import { pythonItems } from './helpers/fixtures';
import { describeStoreConformance } from './helpers/store-conformance';
import { SilentServer, unusedPort } from './helpers/tcp-faults';
import { failure, silentLogger } from './helpers/controlled-store';

const RUN = `flipper_test_${process.pid}_${randomBytes(4).toString('hex')}`;
let serial = 0;
const uniqueTable = () => `${RUN}_${serial++}`;
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
    for (const table of tables.splice(0)) await pool.query(`DROP TABLE IF EXISTS "${table.replace(/"/g, '""')}"`);
  });

  after(async function () {
    await pool.end();
  });

  const insertRaw = (table: string, name: string, item: string | Buffer) =>
    pool.query(
      `INSERT INTO "${table.replace(/"/g, '""')}" (name, item) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET item = EXCLUDED.item`,
      [name, typeof item === 'string' ? Buffer.from(item) : item],
    );

  describeStoreConformance('PostgreSQLFeatureFlagStore', {
    makeStore: () => {
      const table = uniqueTable();
      tables.push(table, `${table}_neighbour`);
      return (current = new PostgreSQLFeatureFlagStore(pool, { tableName: table }));
    },
    // Python's `INSERT ... (name, item)` of `item.serialize()`, the JSON as bytea.
    writeRaw: async (store, name, json) => {
      await store.get(name); // the table is created by the first call
      await insertRaw((store as PostgreSQLFeatureFlagStore).tableName, name, json);
    },
    makeNeighbour: () => new PostgreSQLFeatureFlagStore(pool, { tableName: `${current.tableName}_neighbour` }),
    cleanup: (store: FeatureFlagStore) =>
      pool.query(`DROP TABLE IF EXISTS "${(store as PostgreSQLFeatureFlagStore).tableName}"`).then(() => undefined),
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

    it('reads and evaluates what Python wrote, and writes back JSON Python reads as the same structure', async function () {
      const client = new FeatureFlagClient(store);
      for (const item of pythonItems()) {
        const python = JSON.parse(item.stored_json) as { feature_name: string };
        const name = python.feature_name;
        for (const call of item.evaluations) {
          expect(await client.isEnabled(name, call.checks), name).to.equal(call.readme_result ?? call.python_result);
        }
        await store.setMeta(name, (await store.get(name))!.meta);
        const { rows } = await pool.query<{ item: Buffer }>(`SELECT item FROM "${table}" WHERE name = $1`, [name]);
        expect(JSON.parse(rows[0]!.item.toString('utf8')), name).to.deep.equal(python);
      }
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

    it('a row holding invalid JSON: get rejects with InvalidItemError, isEnabled gives the default, list skips and logs it', async function () {
      await insertRaw(table, 'broken', 'not json {');
      const logger = recordingLogger();
      const logged = new PostgreSQLFeatureFlagStore(pool, { tableName: table, logger });
      expect(await failure(logged.get('broken'))).to.be.instanceOf(InvalidItemError);
      const client = new FeatureFlagClient(logged, { logger: silentLogger });
      expect(await client.isEnabled('broken', {}, { default: true })).to.equal(true);
      const names = (await logged.list()).map((i) => i.featureName);
      expect(names).to.have.length(pythonItems().length).and.not.include('broken');
      expect(logger.lines.filter((l) => l.level === 'warn').map((l) => (l.obj as { flag: string }).flag)).to.deep.equal(
        ['broken'],
      );
      expect(await client.isEnabled('PLAIN_ON')).to.equal(true);
    });
  });

  it('creates its table with name varchar(255) and item bytea, once, even for concurrent first calls', async function () {
    const table = uniqueTable();
    tables.push(table);
    let creates = 0;
    const counting = {
      query: (config: { text: string }) => {
        if (config.text.startsWith('CREATE TABLE')) creates++;
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

  describe('faults', function () {
    it('isEnabled returns the default when PostgreSQL refuses connections, and calls reject with ConnectionError', async function () {
      const down = new Pool({
        host: '127.0.0.1',
        port: await unusedPort(),
        user: 'postgres',
        database: 'test',
        connectionTimeoutMillis: 1000,
      });
      const logger = recordingLogger();
      const store = new PostgreSQLFeatureFlagStore(down, { logger });
      try {
        const client = new FeatureFlagClient(store, { logger: silentLogger });
        expect(await client.isEnabled('x', {}, { default: true })).to.equal(true);
        expect(await failure(store.get('x'))).to.be.instanceOf(ConnectionError);
        expect(await failure(store.create('x'))).to.be.instanceOf(ConnectionError);
        expect(logger.lines.filter((l) => l.level === 'warn')).to.have.length(1);
      } finally {
        await down.end();
      }
    });

    it('isEnabled returns the default within queryTimeout when the server accepts and never answers', async function () {
      const server = await new SilentServer().start();
      const hung = new Pool({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'test' });
      hung.on('error', () => {});
      const store = new PostgreSQLFeatureFlagStore(hung, { queryTimeout: 300 });
      try {
        const client = new FeatureFlagClient(store, { logger: silentLogger });
        const started = Date.now();
        expect(await client.isEnabled('x', {}, { default: true })).to.equal(true);
        expect(Date.now() - started).to.be.below(3000);
        expect(await failure(store.list())).to.be.instanceOf(TimeoutError);
      } finally {
        await server.close();
        await hung.end();
      }
    });
  });
});
