import type { FeatureFlagStoreItem } from '../../shared';
import { itemToStored } from '../../shared/model/stored-codec';
import { writeStoredJson, type StoredObject } from '../../shared/stored-json';
import { flagChanges } from './flag-file';
import { onOff, type CliIo } from './output';

/** One flag as `watch` saw it change: absent `before` is a new flag, absent `after` a deleted one. */
export interface SeenChange {
  /** Unix seconds when the change arrived (the change feed carries no time of its own). */
  time: number;
  name: string;
  before?: FeatureFlagStoreItem;
  after?: FeatureFlagStoreItem;
}

type ChangeKind = 'created' | 'changed' | 'deleted';

function kindOf(change: SeenChange): ChangeKind {
  if (change.after === undefined) return 'deleted';
  return change.before === undefined ? 'created' : 'changed';
}

function isoTime(time: number): string {
  return new Date(Math.round(time * 1000)).toISOString();
}

/** What changed, for people: `state: off → on`; empty for a new or deleted flag. */
function whatChanged(change: SeenChange): string[] {
  if (change.before === undefined || change.after === undefined) return [];
  return flagChanges(change.before, change.after);
}

/**
 * For people: `2026-12-01T09:30:00.000Z checkout on (state: off → on)`,
 * `... checkout off (created)`, `... checkout deleted`.
 */
export function changeText(io: CliIo, change: SeenChange): string {
  const head = `${isoTime(change.time)} ${change.name}`;
  const kind = kindOf(change);
  if (change.after === undefined) return `${head} deleted`;
  const detail = kind === 'created' ? ['created'] : whatChanged(change);
  return `${head} ${onOff(io, change.after.isEnabled)} (${detail.join('; ')})`;
}

/**
 * For scripts, one object per line: `{"time", "name", "change": "created" | "changed" |
 * "deleted", "enabled", "diff": [...], "flag": <as stored>}` (`enabled`, `diff` and `flag`
 * absent for a deleted flag). The flag is the stored JSON, lossless, as `show --json` prints it.
 */
export function changeJson(change: SeenChange): string {
  const line: StoredObject = { time: isoTime(change.time), name: change.name, change: kindOf(change) };
  if (change.after !== undefined) {
    line.enabled = change.after.isEnabled;
    line.diff = whatChanged(change);
    line.flag = itemToStored(change.after);
  }
  return writeStoredJson(line);
}
