import { encodeJsonValue, writeStoredJson } from './stored-json';

/** JSON text of a value as users hold it (`bigint`, `NaN` and every key written exactly). */
export function stringifyJson(value: unknown): string {
  return writeStoredJson(encodeJsonValue(value));
}
