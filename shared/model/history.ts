import type { FeatureFlagStoreItem } from './item';

/**
 * The audit history of flags (issue 14): what a flag server records for every change it makes or
 * detects. Shared by the server (which records and serves it), the wire mapping and the client
 * (which reads it and shows diffs).
 */

/** Who makes a write and why, as the writer declares it (`{ actor, reason }` on the client's write methods). */
export interface WriteContext {
  /** Who: a person or a program. Self-declared: a verified certificate identity is kept beside it, never replaced by it. */
  actor?: string;
  /** Why, in a few words. */
  reason?: string;
}

/**
 * What the server keeps beside a change it made, as one JSON object in the backend (a column of the
 * history table, a field of the Redis entry). Every field is optional so entries written by other
 * versions, or by a library writing PostgreSQL directly with an actor, still read.
 */
export interface RecordedContext extends WriteContext {
  /**
   * The server call that made the change (`Create`, `Set`, `SetIf`, `SetMeta`, `SetMetaIf`,
   * `Delete`, `Rollback`). Absent: the change was not made through a flag server.
   */
  operation?: string;
  /** The verified TLS client certificate identity of the caller (issue 16). */
  identity?: string;
  /** The caller's address, `host:port`. */
  peer?: string;
  /** For `Rollback`: the version restored. */
  rollbackTo?: number;
}

/**
 * One recorded change of one flag, in stored form: the flag's stored JSON text before and after,
 * exactly as the backend holds it (Python's dialect: `NaN`, big integers and `1.0` stay as written).
 */
export interface HistoryRecord {
  featureName: string;
  /**
   * Orders the flag's changes, and names the state after this change for `Rollback`. On Redis and
   * PostgreSQL it is the change feed's version (the same on every server over the backend); on
   * SQLite and memory, the history's own sequence.
   */
  version: number;
  /** When the change was recorded, in ms since the epoch (the backend's clock where it has one). */
  timeMs: number;
  /** Undefined for a change made outside any flag server (a direct backend write, detected). */
  context?: RecordedContext;
  /** The stored JSON before; undefined when the flag did not exist (or its earlier state is unknown: see `beforeUnknown`). */
  before?: string;
  /** The stored JSON after; undefined when the change deleted the flag. */
  after?: string;
  /** True when the state before this change was not recorded (the first change seen of a flag that existed before history was on). */
  beforeUnknown?: boolean;
}

/** Which entries `entries` returns: newest first, at most `limit`, only those older than `beforeVersion` when given. */
export interface HistoryQuery {
  limit: number;
  beforeVersion?: number;
}

/** How much history a server keeps per flag. */
export interface HistoryRetention {
  /** Entries kept per flag at most (the newest). Default 1000. */
  maxEntriesPerFlag: number;
  /** Entries older than this are dropped, in ms; the newest entry of a flag is always kept. Default 90 days. */
  maxAgeMs: number;
}

export const DEFAULT_HISTORY_RETENTION: HistoryRetention = {
  maxEntriesPerFlag: 1000,
  maxAgeMs: 90 * 24 * 3600 * 1000,
};

/** True when the change was made through a flag server (it carries the server call that made it). */
export function madeThroughServer(record: HistoryRecord): boolean {
  return record.context?.operation !== undefined;
}

/**
 * One recorded change as the library gives it (`client.history`): the flag before and after as
 * items, with their stored JSON kept beside them (an item that does not parse is left undefined,
 * its text kept).
 */
export interface HistoryEntry {
  featureName: string;
  version: number;
  time: Date;
  /** The server call that made it; undefined when it was made outside any flag server. */
  operation?: string;
  /** True when the change was made outside any flag server (a direct write to the backend, detected). */
  external: boolean;
  /** Who, as the writer declared it. */
  actor?: string;
  reason?: string;
  /** The verified TLS client certificate identity of the writer. */
  identity?: string;
  /** The writer's address, `host:port`. */
  peer?: string;
  /** For a rollback: the version it restored. */
  rollbackTo?: number;
  /** The flag before; undefined when it did not exist (or `beforeUnknown`). */
  before?: FeatureFlagStoreItem;
  /** The flag after; undefined when the change deleted it. */
  after?: FeatureFlagStoreItem;
  beforeJson?: string;
  afterJson?: string;
  /** True when the state before this change was not recorded. */
  beforeUnknown: boolean;
}

/** How much history to read: at most `limit` entries (default 50), older than `beforeVersion` when given. */
export interface HistoryOptions {
  limit?: number;
  beforeVersion?: number;
}

/** Options of a rollback: who and why, and the revision the caller last saw (a newer write is then a conflict). */
export interface RollbackOptions extends WriteContext {
  expectedRevision?: string;
}
