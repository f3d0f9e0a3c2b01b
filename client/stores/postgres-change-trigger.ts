import { createHash } from 'node:crypto';
import { MAX_NAME_LENGTH } from '../../shared';
import { quoteIdentifier } from './sql-identifier';

/** Where a table's versions live, and the NOTIFY channel its trigger signals on. */
export interface ChangeTriggerNames {
  /** One row: the store id (made at install) and the head version. */
  head: string;
  /** One row per flag ever written: the version of its latest change. */
  versions: string;
  /** `LISTEN` to this: every committed change NOTIFYs it with its version. */
  channel: string;
  /** The trigger functions: one per changed row, one per TRUNCATE. */
  changedFunction: string;
  truncatedFunction: string;
}

export interface ChangeTriggerColumns {
  nameColumn?: string;
  itemColumn?: string;
}

/** The names of `table`'s change bookkeeping (identifiers unquoted). */
export function changeTriggerNames(table: string): ChangeTriggerNames {
  const hash = createHash('sha256').update(table).digest('hex').slice(0, 16);
  return {
    head: `${table}_flipper_head`,
    versions: `${table}_flipper_versions`,
    channel: `flipper_changes_${hash}`,
    changedFunction: `${table}_flipper_changed`,
    truncatedFunction: `${table}_flipper_truncated`,
  };
}

/**
 * SQL that installs, once and idempotently, a trigger giving every change of the flags table a
 * version, whoever makes it (this library, a server, the Python library, psql): each row insert,
 * update or delete (and a TRUNCATE, which moves every name known to a new version) takes the next version from a one-row head table, records it beside the flag's
 * name, and NOTIFYs the channel. The head row is locked until the writer commits, so versions
 * commit in order: a reader that sees version N sees every version below it. Run as one
 * multi-statement query (one transaction) under an advisory lock, so servers starting together do
 * not race. Creates the flags table too when missing (as the store's migration does).
 */
export function changeTriggerSql(table: string, columns: ChangeTriggerColumns = {}): string {
  const names = changeTriggerNames(table);
  const t = quoteIdentifier(table);
  const n = quoteIdentifier(columns.nameColumn ?? 'name');
  const i = quoteIdentifier(columns.itemColumn ?? 'item');
  const head = quoteIdentifier(names.head);
  const versions = quoteIdentifier(names.versions);
  const fn = quoteIdentifier(names.changedFunction);
  const truncated = quoteIdentifier(names.truncatedFunction);
  const lock = parseInt(createHash('sha256').update(`flipper:${table}`).digest('hex').slice(0, 12), 16);
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  return `
SELECT pg_advisory_xact_lock(${lock});
CREATE TABLE IF NOT EXISTS ${t} (${n} varchar(${MAX_NAME_LENGTH}) PRIMARY KEY, ${i} bytea NOT NULL);
CREATE TABLE IF NOT EXISTS ${head} (id int PRIMARY KEY CHECK (id = 1), store_id text NOT NULL, version bigint NOT NULL);
INSERT INTO ${head} VALUES (1, md5(random()::text || clock_timestamp()::text), 0) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS ${versions} (name text PRIMARY KEY, version bigint NOT NULL);
CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $flipper$
DECLARE v bigint;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.${n} = NEW.${n} AND OLD.${i} IS NOT DISTINCT FROM NEW.${i} THEN RETURN NULL; END IF;
  UPDATE ${head} SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO ${versions} VALUES (OLD.${n}, v) ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO ${versions} VALUES (NEW.${n}, v) ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version;
  END IF;
  PERFORM pg_notify(${literal(names.channel)}, v::text);
  RETURN NULL;
END
$flipper$;
CREATE OR REPLACE FUNCTION ${truncated}() RETURNS trigger LANGUAGE plpgsql AS $flipper$
DECLARE v bigint;
BEGIN
  UPDATE ${head} SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
  UPDATE ${versions} SET version = v;
  PERFORM pg_notify(${literal(names.channel)}, v::text);
  RETURN NULL;
END
$flipper$;
DO $flipper$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'flipper_changes' AND tgrelid = ${literal(t)}::regclass) THEN
    CREATE TRIGGER flipper_changes AFTER INSERT OR UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${fn}();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'flipper_truncate' AND tgrelid = ${literal(t)}::regclass) THEN
    CREATE TRIGGER flipper_truncate AFTER TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ${truncated}();
  END IF;
END
$flipper$;`;
}

/**
 * One statement reading the store id, the head and the flags changed after `$1`, in one snapshot
 * (so the head covers every change it returns).
 */
export function changesSinceSql(table: string): string {
  const names = changeTriggerNames(table);
  return `SELECT h.store_id, h.version AS head, v.name, v.version
FROM ${quoteIdentifier(names.head)} h LEFT JOIN ${quoteIdentifier(names.versions)} v ON v.version > $1
WHERE h.id = 1`;
}
