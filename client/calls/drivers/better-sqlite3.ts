import type { DriverDeclaration, DriverFailure } from '../driver-failure';
import { errorMessage } from './node-socket';

/**
 * better-sqlite3: `SQLITE_BUSY` and `SQLITE_LOCKED` (another connection holds the lock for longer
 * than `busy_timeout`) are the database not answering in time; every other error is SQLite's answer.
 */
export function classifySqliteError(error: unknown): DriverFailure {
  const code = (error as { code?: unknown } | undefined)?.code;
  const detail = errorMessage(error);
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)) return { kind: 'timeout', detail };
  return { kind: 'refused', detail };
}

/** The driver as the backend call path knows it. */
export const BETTER_SQLITE3: DriverDeclaration = {
  name: 'SQLite',
  classify: classifySqliteError,
  messages: { failing: 'SQLite is not answering (database locked)', working: 'SQLite answers again' },
};
