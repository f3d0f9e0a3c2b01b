import { describeChange, type HistoryEntry } from '../../shared';
import {
  parseStoredJson,
  StoredNumber,
  writeStoredJson,
  type StoredJson,
  type StoredObject,
} from '../../shared/stored-json';
import { table } from './output';

/** The readable lines of an entry's change: `state: off → on`, `client_data.plan: "free" → "pro"`. */
export function entryChanges(entry: HistoryEntry): string[] {
  return describeChange({
    before: entry.beforeJson,
    after: entry.afterJson,
    beforeUnknown: entry.beforeUnknown,
  }).map((line) => line.text);
}

/** Who made it: the declared actor, the verified certificate identity beside it, or a write outside any server. */
function who(entry: HistoryEntry): string {
  if (entry.external) return '(outside the server)';
  const identity = entry.identity === undefined ? undefined : `cert ${entry.identity}`;
  if (entry.actor === undefined) return identity ?? '-';
  return identity === undefined || entry.identity === entry.actor ? entry.actor : `${entry.actor} (${identity})`;
}

function operation(entry: HistoryEntry): string {
  if (entry.operation === undefined) return 'external write';
  return entry.rollbackTo === undefined ? entry.operation : `${entry.operation} to ${entry.rollbackTo}`;
}

function secondsTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `history NAME` for people: newest first, a change of several parts on several rows. */
export function historyTable(entries: readonly HistoryEntry[]): string {
  const rows: string[][] = [];
  for (const entry of entries) {
    const [first, ...rest] = entryChanges(entry);
    rows.push([
      String(entry.version),
      secondsTime(entry.time),
      who(entry),
      operation(entry),
      entry.reason ?? '-',
      first ?? '(no change)',
    ]);
    for (const line of rest) rows.push(['', '', '', '', '', line]);
  }
  return table(['VERSION', 'TIME', 'WHO', 'OPERATION', 'REASON', 'CHANGE'], rows);
}

/**
 * `history NAME --json`: a list, newest first, each entry with its readable `diff` lines and the
 * flag `before` and `after` exactly as stored (null: did not exist, or deleted).
 */
export function historyJson(entries: readonly HistoryEntry[]): string {
  return `[${entries.map((entry) => writeStoredJson(entryObject(entry))).join(', ')}]`;
}

function entryObject(entry: HistoryEntry): StoredObject {
  return {
    version: new StoredNumber(String(entry.version)),
    time: entry.time.toISOString(),
    operation: entry.operation ?? null,
    external: entry.external,
    actor: entry.actor ?? null,
    reason: entry.reason ?? null,
    identity: entry.identity ?? null,
    peer: entry.peer ?? null,
    rollbackTo: entry.rollbackTo === undefined ? null : new StoredNumber(String(entry.rollbackTo)),
    beforeUnknown: entry.beforeUnknown,
    diff: entryChanges(entry),
    before: storedOrText(entry.beforeJson),
    after: storedOrText(entry.afterJson),
  };
}

/** The stored JSON as a tree (numbers as written); text that does not parse is kept as a string. */
function storedOrText(text: string | undefined): StoredJson {
  if (text === undefined) return null;
  try {
    return parseStoredJson(text);
  } catch {
    return text;
  }
}
