import type { FlipperError } from '../errors';
import { showJson } from '../json-text';

/**
 * The fields of a stored bucketer or percentage (`{"type": ..., ...}`): anything but a plain object
 * throws `ErrorClass` naming what was expected (`what`: "A bucketer") and what came.
 */
export function storedFields(
  json: unknown,
  what: string,
  ErrorClass: new (message: string) => FlipperError,
): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ErrorClass(`${what} must be an object, got ${showJson(json)}`);
  }
  return json as Record<string, unknown>;
}
