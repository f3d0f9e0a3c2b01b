import type { HistoryQuery, HistoryRecord, RecordedContext } from '../../shared/model/history';

/**
 * Where a server keeps the history of flag changes: in the backend itself (a table in SQLite and
 * PostgreSQL, a capped list per flag in Redis; memory for the memory store), so every server over
 * one backend shows the same history in the same order. One implementation per backend kind,
 * opened by `openHistoryLog` (server/history/open-history-log.ts).
 *
 * The server's writes run inside `withWriteContext(context, ...)` (client/calls/write-context.ts),
 * so a backend whose trigger records changes (PostgreSQL) finds the context in the write itself;
 * the others record it in `recordWrite`, which the handler awaits before answering.
 */
export interface HistoryLog {
  /** Creates tables or keys, and installs triggers, as needed. Called once at server start. */
  open(): Promise<void>;
  /**
   * A write through this server has just succeeded: make sure the change is recorded with
   * `context` (a no-op where the backend's trigger recorded it with the write). A write that
   * changed nothing records nothing.
   */
  recordWrite(name: string, context: RecordedContext): Promise<void>;
  /**
   * These flags (every flag with `'all'`) may have been changed by someone else (a direct backend
   * write, another server): any difference between the stored flag and its newest entry is
   * recorded as made outside the server. Called on the change feed's signals and before `entries`.
   */
  reconcile(names: readonly string[] | 'all'): Promise<void>;
  /** The flag's entries, newest first (descending version). */
  entries(name: string, query: HistoryQuery): Promise<HistoryRecord[]>;
  /** Stops timers and closes connections the log owns (the store's own are left alone). */
  close(): Promise<void>;
}
