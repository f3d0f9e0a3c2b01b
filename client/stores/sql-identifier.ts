import { InvalidArgumentError } from '../../shared';

/**
 * A table or column name quoted for SQL (SQLite and PostgreSQL both double embedded quotes), so any
 * name the application configures is an identifier and never SQL.
 */
export function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) {
    throw new InvalidArgumentError(
      `A table or column name must be a non-empty string without NUL, got ${JSON.stringify(name)}`,
    );
  }
  return `"${name.replace(/"/g, '""')}"`;
}
