import { createHash } from 'node:crypto';
import { MAX_NAME_LENGTH } from '../../shared';
import { quoteIdentifier } from './sql-identifier';
import { DEFAULT_HISTORY_RETENTION } from '../../shared/model/history';

/** Entries per flag the trigger keeps until a server sets its own `--history-limit`. */
const DEFAULT_HISTORY_LIMIT = DEFAULT_HISTORY_RETENTION.maxEntriesPerFlag;

/** Where a table's versions and history live, and the NOTIFY channel its trigger signals on. */
export interface ChangeTriggerNames {
  /** One row: the store id (made at install) and the head version. */
  head: string;
  /** One row per flag ever written: the version of its latest change. */
  versions: string;
  /** One row per change (issue 14): name, version, time, the stored item before and after, the writer's context. */
  history: string;
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

/**
 * The transaction-local setting a writer puts its context in (JSON of `RecordedContext`, or empty)
 * for the trigger to record beside the change: set in the write statement itself
 * (`set_config(..., true)`), so it costs no round trip and ends with the statement's transaction.
 */
export const WRITE_CONTEXT_SETTING = 'flipper.write_context';

/** The names of `table`'s change bookkeeping (identifiers unquoted). */
export function changeTriggerNames(table: string): ChangeTriggerNames {
  const hash = createHash('sha256').update(table).digest('hex').slice(0, 16);
  return {
    head: `${table}_flipper_head`,
    versions: `${table}_flipper_versions`,
    history: `${table}_flipper_history`,
    channel: `flipper_changes_${hash}`,
    changedFunction: `${table}_flipper_changed`,
    truncatedFunction: `${table}_flipper_truncated`,
  };
}

/**
 * SQL that installs, idempotently, a trigger giving every change of the flags table a version and
 * a history row, whoever makes it (this library, a server, the Python library, psql): each row
 * insert, update (of a different value) or delete takes the next version from a one-row head
 * table, records it beside the flag's name, appends the item before and after with the writer's
 * context (`WRITE_CONTEXT_SETTING`, NULL for a writer that sets none) to the history table, and
 * NOTIFYs the channel. A TRUNCATE (no row trigger fires) is recorded before it happens: every row
 * still in the table gets a delete entry, and every known name one new version. The head row is
 * locked until the writer commits, so versions commit in order: a reader that sees version N sees
 * every version below it. Run as one multi-statement query (one transaction) under an advisory
 * lock, so processes starting together do not race. Creates the flags table too when missing (as
 * the store's migration does); an existing one, Python's `varchar(40)` names included, is kept.
 */
export function changeTriggerSql(table: string, columns: ChangeTriggerColumns = {}): string {
  const { names, t, n, i, head, versions, history } = quotedNames(table, columns);
  const fn = quoteIdentifier(names.changedFunction);
  const truncated = quoteIdentifier(names.truncatedFunction);
  const lock = parseInt(createHash('sha256').update(`flipper:${table}`).digest('hex').slice(0, 12), 16);
  const bodies = changeTriggerBodies(table, columns);
  return `
SELECT pg_advisory_xact_lock(${lock});
CREATE TABLE IF NOT EXISTS ${t} (${n} varchar(${MAX_NAME_LENGTH}) PRIMARY KEY, ${i} bytea NOT NULL);
CREATE TABLE IF NOT EXISTS ${head} (id int PRIMARY KEY CHECK (id = 1), store_id text NOT NULL, version bigint NOT NULL);
INSERT INTO ${head} VALUES (1, md5(random()::text || clock_timestamp()::text), 0) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS ${versions} (name text PRIMARY KEY, version bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${history} (
  name text NOT NULL, version bigint NOT NULL, seq bigint NOT NULL, time timestamptz NOT NULL,
  before bytea, after bytea, context text, PRIMARY KEY (name, version));
CREATE INDEX IF NOT EXISTS ${quoteIdentifier(`${names.history}_seq`)} ON ${history} (name, seq);
-- Entries kept per flag by the trigger itself, so the history stays bounded with no server running
-- (a library writing the table directly); a server sets its --history-limit here at start.
ALTER TABLE ${head} ADD COLUMN IF NOT EXISTS history_limit bigint NOT NULL DEFAULT ${DEFAULT_HISTORY_LIMIT};
-- The functions run as their owner (SECURITY DEFINER), who owns the tables they write: a role that
-- may only write the flags table (the Python library's, say) is still versioned and recorded. Their
-- search path is this schema only (then pg_temp), captured here, so no other schema can interpose.
SELECT set_config('search_path', quote_ident(current_schema()) || ', pg_temp', true);
CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $flipper$${bodies.changed}$flipper$;
CREATE OR REPLACE FUNCTION ${truncated}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $flipper$${bodies.truncated}$flipper$;
DROP TRIGGER IF EXISTS flipper_changes ON ${t};
CREATE TRIGGER flipper_changes AFTER INSERT OR UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${fn}();
-- BEFORE, so the rows being truncated can still be read into the history (issue 13's ran AFTER).
DROP TRIGGER IF EXISTS flipper_truncate ON ${t};
CREATE TRIGGER flipper_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ${truncated}();`;
}

/** The table's, columns' and bookkeeping tables' identifiers, quoted for SQL (t: flags table, n: name, i: item). */
function quotedNames(table: string, columns: ChangeTriggerColumns) {
  const names = changeTriggerNames(table);
  return {
    names,
    t: quoteIdentifier(table),
    n: quoteIdentifier(columns.nameColumn ?? 'name'),
    i: quoteIdentifier(columns.itemColumn ?? 'item'),
    head: quoteIdentifier(names.head),
    versions: quoteIdentifier(names.versions),
    history: quoteIdentifier(names.history),
  };
}

/** The source of the two trigger functions: what `changeTriggerSql` installs, and what the status check compares. */
function changeTriggerBodies(table: string, columns: ChangeTriggerColumns): { changed: string; truncated: string } {
  const { names, t, n, i, head, versions, history } = quotedNames(table, columns);
  const context = `nullif(current_setting(${literal(WRITE_CONTEXT_SETTING)}, true), '')`;
  // The flag's entries are numbered 1, 2, 3... (seq): retention keeps those within the newest N by
  // reading from the oldest end only (server/history/postgres-history-log.ts).
  const nextSeq = (name: string) =>
    `coalesce((SELECT seq FROM ${history} WHERE name = ${name} ORDER BY version DESC LIMIT 1), 0) + 1`;
  // Appends the entry and drops the flag's entries beyond the newest `lim` (one index range on (name, seq)).
  const append = (name: string, before: string, after: string) =>
    `INSERT INTO ${history} (name, version, seq, time, before, after, context) ` +
    `VALUES (${name}, v, ${nextSeq(name)}, clock_timestamp(), ${before}, ${after}, ctx) RETURNING seq INTO s;
` +
    `    DELETE FROM ${history} WHERE name = ${name} AND seq <= s - lim;`;
  const version = (name: string) =>
    `INSERT INTO ${versions} VALUES (${name}, v) ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version;`;
  const changed = `
DECLARE v bigint; lim bigint; s bigint; ctx text := ${context};
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.${n} = NEW.${n} AND OLD.${i} IS NOT DISTINCT FROM NEW.${i} THEN RETURN NULL; END IF;
  UPDATE ${head} SET version = version + 1 WHERE id = 1 RETURNING version, history_limit INTO v, lim;
  IF TG_OP = 'UPDATE' AND OLD.${n} = NEW.${n} THEN
    ${version(`NEW.${n}`)}
    ${append(`NEW.${n}`, `OLD.${i}`, `NEW.${i}`)}
  ELSE
    -- An insert, a delete, or a rename (the old name deleted, the new one inserted).
    IF TG_OP <> 'INSERT' THEN
      ${version(`OLD.${n}`)}
      ${append(`OLD.${n}`, `OLD.${i}`, 'NULL')}
    END IF;
    IF TG_OP <> 'DELETE' THEN
      ${version(`NEW.${n}`)}
      ${append(`NEW.${n}`, 'NULL', `NEW.${i}`)}
    END IF;
  END IF;
  PERFORM pg_notify(${literal(names.channel)}, v::text);
  RETURN NULL;
END
`;
  const truncated = `
DECLARE v bigint;
BEGIN
  UPDATE ${head} SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
  UPDATE ${versions} SET version = v;
  INSERT INTO ${history} (name, version, seq, time, before, after, context)
    SELECT f.${n}, v, ${nextSeq(`f.${n}`)}, clock_timestamp(), f.${i}, NULL, ${context} FROM ${t} f;
  PERFORM pg_notify(${literal(names.channel)}, v::text);
  RETURN NULL;
END
`;
  return { changed, truncated };
}

/**
 * One statement telling whether the flags table exists (`table_exists`) and whether the trigger is
 * installed on it as `changeTriggerSql` installs it (`installed`): both triggers there, their
 * functions' source exactly this version's, and the history table. Anything else (issue 13's
 * trigger, an older process having replaced the functions, a dropped table) is installed again; an
 * exact install is left alone, so a role that may write the table but not own its functions starts.
 */
export function changeTriggerStatusSql(table: string, columns: ChangeTriggerColumns = {}): string {
  const names = changeTriggerNames(table);
  const bodies = changeTriggerBodies(table, columns);
  const regclass = `to_regclass(${literal(quoteIdentifier(table))})`;
  const current = (trigger: string, body: string) =>
    `EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_proc p ON p.oid = g.tgfoid
      WHERE g.tgrelid = ${regclass} AND g.tgname = '${trigger}' AND p.prosrc = ${literal(body)})`;
  return `SELECT ${regclass} IS NOT NULL AS table_exists,
  to_regclass(${literal(quoteIdentifier(names.history))}) IS NOT NULL
    AND ${current('flipper_changes', bodies.changed)} AND ${current('flipper_truncate', bodies.truncated)} AS installed`;
}

/** What `installChangeTrigger` found or did. */
export type ChangeTriggerInstall = 'already installed' | 'installed';

/**
 * Installs the change trigger on `table` unless this revision is already there (one cheap query
 * then, and no privilege beyond reading the catalog). Rejects with PostgreSQL's error when the
 * install is needed and refused (`42501`: no privilege to create tables, functions or triggers).
 */
export async function installChangeTrigger(
  query: (text: string) => Promise<{ rows: unknown[] }>,
  table: string,
  columns: ChangeTriggerColumns = {},
): Promise<ChangeTriggerInstall> {
  const [status] = (await query(changeTriggerStatusSql(table, columns))).rows as ChangeTriggerStatus[];
  if (status?.installed === true) return 'already installed';
  await query(changeTriggerSql(table, columns));
  return 'installed';
}

export interface ChangeTriggerStatus {
  table_exists: boolean;
  installed: boolean;
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
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
