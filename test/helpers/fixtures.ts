import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '../../shared';
import { PYTHON_ITEMS, type PythonItem } from '../../client/testing/python-items';

/**
 * Copies of `../shared/conformance/` (vectors made by the Python library), kept in the repository
 * so the tests do not depend on where that folder is mounted.
 */
const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');

export interface HashVector {
  checks: Record<string, JsonValue>;
  key_whitelist: string[];
  serialized: string;
  score: number;
  enabled_at_50_percent: boolean;
}

function load<T>(file: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as T;
}

export const hashVectors = (): HashVector[] => load<{ vectors: HashVector[] }>('consistent-hash-vectors.json').vectors;
/** The Python library's flags: shipped with the conformance suite (`flipper-client/testing`), read from there. */
export const pythonItems = (): readonly PythonItem[] => PYTHON_ITEMS;
