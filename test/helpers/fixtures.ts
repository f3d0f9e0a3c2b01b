import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Checks, JsonValue } from '../../shared';

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

export interface PythonItem {
  stored_json: string;
  evaluations: Array<{ checks: Checks; python_result: boolean; readme_result?: boolean }>;
}

function load<T>(file: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as T;
}

export const hashVectors = (): HashVector[] => load<{ vectors: HashVector[] }>('consistent-hash-vectors.json').vectors;
export const pythonItems = (): PythonItem[] => load<{ items: PythonItem[] }>('python-items.json').items;
