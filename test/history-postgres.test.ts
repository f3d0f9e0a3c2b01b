import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { FeatureFlagClient, PostgreSQLFeatureFlagStore } from '../client';
import { withWriteContext } from '../client/calls/write-context';
import { changeTriggerNames, changeTriggerSql } from '../client/stores/postgres-change-trigger';
import { recordingLogger } from '../client/testing/recording-logger';
import { deserializeItem } from '../shared';
import { DEFAULT_HISTORY_RETENTION, madeThroughServer } from '../shared/model/history';
import { PostgresHistoryLog } from '../server/history/postgres-history-log';
import { describeHistoryLog } from './helpers/history-log-cases';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';
import { quietLogger, serve } from './helpers/rpc-served';
import { uniqueNames } from './helpers/store-capabilities';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const WRITER = join(__dirname, '..', '..', 'test', 'python', 'layout_writer.py');
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const uniqueTable = uniqueNames('flipper_hist_pg', '_');
const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** As the Python library writes: the JSON text as bytea, upserted; or the row deleted. */
async function writeAsPython(pool: Pool, table: string, name: string, json: string | undefined): Promise<void> {
  if (json === undefined) {
    await pool.query(`DELETE FROM ${quoted(table)} WHERE name = $1`, [name]);
  } else {
    await pool.query(
      `INSERT INTO ${quoted(table)} (name, item) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET item = EXCLUDED.item`,
      [name, Buffer.from(json, 'utf8')],
    );
  }
}

describe('history: PostgreSQL', function () {
  this.timeout(20_000);
  const pool = new Pool({ ...PG, max: 4 });
  const other = new Pool({ ...PG, max: 2 });
  const tables = new Map<PostgresHistoryLog, string>();
  after(async () => {
    await pool.end();
    await other.end();
  });

  describeHistoryLog('PostgreSQL', {
    open: async (retention, clock) => {
      const table = uniqueTable();
      const log = new PostgresHistoryLog(pool, { tableName: table, logger: quietLogger, retention, clock });
      tables.set(log, table);
      return {
        store: new PostgreSQLFeatureFlagStore(pool, { tableName: table }),
        log,
        secondLog: new PostgresHistoryLog(other, { tableName: table, logger: quietLogger, retention, clock }),
        writeDirectly: (name, json) => writeAsPython(pool, table, name, json),
      };
    },
    close: async (backend) => {
      const log = backend.log as PostgresHistoryLog;
      await dropFlagTableAndFeed(pool, tables.get(log)!);
      tables.delete(log);
    },
  });

  describe('the change trigger, installed by the store', () => {
    const made: string[] = [];
    afterEach(async () => {
      for (const table of made.splice(0)) await dropFlagTableAndFeed(pool, table);
    });
    const fresh = () => {
      const table = uniqueTable();
      made.push(table);
      return table;
    };
    const history = (table: string) =>
      new PostgresHistoryLog(pool, { tableName: table, logger: quietLogger, retention: DEFAULT_HISTORY_RETENTION });

    it('records the context of the write in the same statement; none outside a context; the setting ends with the statement', async () => {
      const table = fresh();
      // One connection: the statements after the write run on the connection that made it.
      const single = new Pool({ ...PG, max: 1 });
      try {
        const store = new PostgreSQLFeatureFlagStore(single, { tableName: table });
        await withWriteContext({ actor: 'alice', reason: 'launch', operation: 'Create' }, () => store.create('f'));
        const setting = await single.query<{ value: string | null }>(
          `SELECT current_setting('flipper.write_context', true) AS value`,
        );
        expect(setting.rows[0].value ?? '').to.equal('');
        await writeAsPython(single, table, 'f', '{"feature_name": "f", "is_enabled": true}');
        await store.set('g', true);
        await withWriteContext({ actor: 'bob' }, () => store.delete('f'));
      } finally {
        await single.end();
      }
      const log = history(table);
      const [deleted, direct, created] = await log.entries('f', { limit: 10 });
      expect(created.context).to.deep.equal({ actor: 'alice', reason: 'launch', operation: 'Create' });
      expect(madeThroughServer(created)).to.equal(true);
      expect(direct.context).to.equal(undefined);
      expect(direct.before).to.equal(created.after);
      // A library write with an actor but not through a server: its context, not made through a server.
      expect(deleted.context).to.deep.equal({ actor: 'bob' });
      expect(madeThroughServer(deleted)).to.equal(false);
      const [set] = await log.entries('g', { limit: 10 });
      expect(set.context).to.equal(undefined);
      expect(deserializeItem(set.after!).isEnabled).to.equal(true);
    });

    it('a conditional update (client.enable) records before and after with its context', async () => {
      const table = fresh();
      const store = new PostgreSQLFeatureFlagStore(pool, { tableName: table });
      await store.create('u');
      await withWriteContext({ operation: 'Set' }, () => new FeatureFlagClient(store).enable('u'));
      const [updated, created] = await history(table).entries('u', { limit: 10 });
      expect(updated.context).to.deep.equal({ operation: 'Set' });
      expect(updated.before).to.equal(created.after);
      expect(deserializeItem(updated.after!).isEnabled).to.equal(true);
    });

    it('a TRUNCATE records a delete entry, with the item before, for every flag in the table', async () => {
      const table = fresh();
      const store = new PostgreSQLFeatureFlagStore(pool, { tableName: table });
      await store.create('a');
      await store.create('b', { isEnabled: true });
      await pool.query(`TRUNCATE ${quoted(table)}`);
      const log = history(table);
      const [a, b] = [(await log.entries('a', { limit: 10 }))[0], (await log.entries('b', { limit: 10 }))[0]];
      expect(a.after).to.equal(undefined);
      expect(deserializeItem(b.before!).isEnabled).to.equal(true);
      expect(a.version).to.equal(b.version);
    });

    it("on the Python library's table (varchar(40) names), a Python program's write is an entry made outside any server", async function () {
      try {
        await run(PYTHON, ['-c', 'import psycopg2']);
      } catch {
        this.skip();
      }
      const table = fresh();
      await pool.query(`CREATE TABLE ${quoted(table)} (name varchar(40) PRIMARY KEY, item bytea NOT NULL)`);
      const store = new PostgreSQLFeatureFlagStore(pool, { tableName: table });
      await withWriteContext({ operation: 'Create', actor: 'node' }, () => store.create('py'));
      await run(PYTHON, [WRITER, 'postgres', 'dbname=test user=postgres host=127.0.0.1', table, 'py', 'true']);
      const [python, node] = await history(table).entries('py', { limit: 10 });
      expect(madeThroughServer(node)).to.equal(true);
      expect(python.context).to.equal(undefined);
      expect(python.before).to.equal(node.after);
      expect(JSON.parse(python.after!)).to.deep.include({ feature_name: 'py', is_enabled: true });
      const column = await pool.query(
        `SELECT character_maximum_length AS length FROM information_schema.columns WHERE table_name = $1 AND column_name = 'name'`,
        [table],
      );
      expect(column.rows[0].length).to.equal(40);
    });

    it('an install of an earlier revision (versions, no history) is brought up to date by the store, versions kept', async () => {
      const table = fresh();
      const names = changeTriggerNames(table);
      await pool.query(changeTriggerSql(table));
      await new PostgreSQLFeatureFlagStore(pool, { tableName: table }).create('f');
      // What issue 13's revision left: no history table, functions of another source (versions only).
      await pool.query(`DROP TABLE ${quoted(names.history)}`);
      await pool.query(
        `CREATE OR REPLACE FUNCTION ${quoted(names.changedFunction)}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN UPDATE ${quoted(names.head)} SET version = version + 1; RETURN NULL; END $$`,
      );
      const head = async () => Number((await pool.query(`SELECT version FROM ${quoted(names.head)}`)).rows[0].version);
      const before = await head();
      await withWriteContext({ operation: 'Set' }, () =>
        new PostgreSQLFeatureFlagStore(pool, { tableName: table }).set('f', true),
      );
      expect(await head()).to.equal(before + 1);
      const [entry] = await history(table).entries('f', { limit: 10 });
      expect(entry).to.deep.include({ version: before + 1, context: { operation: 'Set' } });
    });

    it('through a flag server: each call recorded by the trigger with its operation, actor and reason; rollback too', async () => {
      const table = fresh();
      const log = history(table);
      await log.open();
      const served = await serve(new PostgreSQLFeatureFlagStore(pool, { tableName: table }), {
        server: { history: log },
      });
      try {
        const client = new FeatureFlagClient(served.rpc);
        await client.create('e', { actor: 'alice', reason: 'new' });
        await client.enable('e', { actor: 'bob', reason: 'launch' });
        const [enabled, created] = await client.history('e');
        expect(enabled).to.deep.include({ operation: 'SetIf', actor: 'bob', reason: 'launch', external: false });
        expect(created).to.deep.include({ operation: 'Create', actor: 'alice', external: false });
        await client.rollback('e', created.version, { actor: 'carol', reason: 'oops' });
        const [rolledBack] = await client.history('e', { limit: 1 });
        expect(rolledBack).to.deep.include({ actor: 'carol', rollbackTo: created.version, external: false });
        expect(rolledBack.after?.isEnabled).to.equal(false);
      } finally {
        await served.close();
      }
    });

    it('a role that may write the table but not install the trigger: warned once, flags still work', async () => {
      const table = fresh();
      const role = `${table}_writer`;
      await pool.query(`CREATE TABLE ${quoted(table)} (name varchar(255) PRIMARY KEY, item bytea NOT NULL)`);
      await pool.query(`CREATE ROLE ${quoted(role)} LOGIN`);
      const writer = new Pool({ ...PG, user: role, max: 1 });
      try {
        await pool.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${quoted(table)} TO ${quoted(role)}`);
        const logger = recordingLogger();
        const store = new PostgreSQLFeatureFlagStore(writer, { tableName: table, logger });
        await store.create('f');
        await store.set('f', true);
        expect((await store.get('f'))?.isEnabled).to.equal(true);
        expect(logger.at('warn').map((line) => line.msg)).to.have.length(1);
        expect(logger.at('warn')[0].msg).to.match(/no privilege to install the change trigger/);
        const exists = await pool.query('SELECT to_regclass($1) AS t', [quoted(changeTriggerNames(table).history)]);
        expect(exists.rows[0].t).to.equal(null);
        // Once the owner installs it (a store or server run as the owner), that role's writes are recorded.
        await new PostgreSQLFeatureFlagStore(pool, { tableName: table }).get('f');
        const late = new PostgreSQLFeatureFlagStore(writer, { tableName: table, logger });
        await withWriteContext({ actor: 'writer' }, () => late.set('f', false));
        expect(logger.at('warn')).to.have.length(1);
        const [entry] = await history(table).entries('f', { limit: 10 });
        expect(entry.context).to.deep.equal({ actor: 'writer' });
      } finally {
        await writer.end();
        await pool.query(`DROP TABLE IF EXISTS ${quoted(table)}`);
        await pool.query(`DROP ROLE IF EXISTS ${quoted(role)}`);
      }
    });
  });
});
