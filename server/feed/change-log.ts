/** A flag changed at a version. */
export interface VersionedName {
  name: string;
  version: number;
}

/** Where a store's versions stand, and the flags changed after a cursor. */
export interface ChangesSince {
  /** Names the version sequence; a new one (a wiped backend, a restarted in-process log) restarts from 0. */
  storeId: string;
  /** The newest version: every change up to it is in `changes` or older than the cursor. */
  head: number;
  /** Each flag changed after the cursor, once, at its latest version. */
  changes: VersionedName[];
}

/**
 * Why `onSignal` was called: the names that changed when the backend says (a keyspace event, a
 * NOTIFY), or `undefined` when anything may have changed (another process wrote a SQLite file, a
 * signal connection was lost and is back, the periodic resync).
 */
export type ChangeSignal = (names?: readonly string[]) => void;

/**
 * Gives every change of a store a version, whoever made it, and says when there may be new ones.
 * One per backend kind: Redis and PostgreSQL keep the versions in the backend itself (so every
 * server over it agrees, and a replica can move between them); the in-process log (memory, SQLite,
 * any other store) keeps them in the server, under a store id of its own.
 */
export interface ChangeLog {
  /** Starts listening to the backend's change signal; `onSignal` runs for every hint of a change. */
  start(onSignal: ChangeSignal): Promise<void>;
  /**
   * Makes sure the changes to these flags (all flags with `'all'`) have versions: a no-op where
   * the backend assigns them itself (a trigger); otherwise the stored value is compared with the
   * one last versioned and only a difference takes a new version (so a resync re-sends nothing
   * unchanged, and two servers recording one change give it one version).
   */
  record(names: readonly string[] | 'all'): Promise<void>;
  /** The flags changed after `version`, and the head. */
  changesSince(version: number): Promise<ChangesSince>;
  /** Stops listening; the store itself stays open. */
  close(): Promise<void>;
}
