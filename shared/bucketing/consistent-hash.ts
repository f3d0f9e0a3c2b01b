import { Checks, compareCodePoints } from '../json';
import { pythonJsonString, pythonJsonDumps } from '../python-json';
import { sha1Score } from './sha1-score';

/**
 * The exact string Python's ConsistentHashPercentageBucketer hashes: `json.dumps` of the
 * whitelisted checks as `[key, value]` pairs sorted by key. An empty whitelist takes every key.
 * The general form: ConsistentHashPercentageBucketer builds the same text faster when it knows its
 * whitelist (docs/architecture.md, "Consistent hashing: the fast path").
 */
export function serializeChecks(checks: Checks | undefined, keyWhitelist: ReadonlySet<string>): string {
  const keys: string[] = [];
  if (checks) {
    for (const key in checks) {
      if (checks[key] === undefined) continue;
      if (keyWhitelist.size === 0 || keyWhitelist.has(key)) keys.push(key);
    }
  }
  if (keys.length > 1) keys.sort(compareCodePoints);
  let out = '[';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ', ';
    out += '[' + pythonJsonString(keys[i]) + ', ' + pythonJsonDumps(checks![keys[i]]) + ']';
  }
  return out + ']';
}

/** `int(sha1(s).hexdigest(), 16) % 100 / 100`, computed exactly from the digest's bytes. */
export function hashScore(serialized: string): number {
  return sha1Score(serialized);
}
