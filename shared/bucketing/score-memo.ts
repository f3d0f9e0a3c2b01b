import { InvalidArgumentError } from '../errors';
import { RecentScores } from './recent-scores';

/** A check value remembered as itself (no text built to look it up). */
export type MemoValue = string | number | boolean;

/**
 * The longest string value (in UTF-16 units) and hashed text kept: longer ones are hashed every
 * time, so an entry's size, and the memo's, has a bound whatever callers pass.
 */
export const MAX_MEMO_VALUE = 256;
export const MAX_MEMO_TEXT = 512;

/** The client's default `scoreMemoSize`. */
export const DEFAULT_SCORE_MEMO_SIZE = 10_000;

/**
 * Value tables at most, one per whitelisted key name. Names come from stored flags (whitelists),
 * never from callers, and a service uses a handful (`user_id`, `org_id`): the cap only bounds memory
 * against odd flag sets. A name beyond it is remembered by text instead.
 */
export const MAX_VALUE_TABLES = 8;

/**
 * Scores of consistent hashing already computed, so a returning user costs a lookup instead of a
 * SHA-1. A score depends only on the hashed text (the flag name is not hashed), so one memo serves
 * every flag of a client. Two kinds of tables, each a `RecentScores` of at most `size` entries
 * (`size + 1` for an odd size) that keeps the last `ceil(size / 2)` used:
 *
 * - a value table per whitelisted key name, for bucketers whose whitelist is that one key and a
 *   check value that is a number, a boolean or a string of at most MAX_MEMO_VALUE units: keyed by
 *   the value itself. Exact: the values that are one Map key (`0` and `-0`, `NaN` and `NaN`) are
 *   written alike by Python's `json.dumps` rules, and a number and a string never share a key.
 * - one text table for everything else (bigints, null, lists, objects, several keys), keyed by
 *   the exact text hashed, when that text is at most MAX_MEMO_TEXT characters.
 *
 * So at most `size` (rounded up to even) x (1 + MAX_VALUE_TABLES) entries; in practice that per
 * key name in use.
 */
export class ScoreMemo {
  readonly size: number;
  private readonly valueTables = new Map<string, RecentScores<MemoValue>>();
  private textTable: RecentScores<string> | undefined;

  constructor(size: number = DEFAULT_SCORE_MEMO_SIZE) {
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new InvalidArgumentError(`A score memo's size must be a positive integer, got ${String(size)}`);
    }
    this.size = size;
  }

  /** The table of one whitelisted key's values, made on first use; undefined past MAX_VALUE_TABLES. */
  valueTable(keyName: string): RecentScores<MemoValue> | undefined {
    let table = this.valueTables.get(keyName);
    if (table === undefined && this.valueTables.size < MAX_VALUE_TABLES) {
      table = new RecentScores<MemoValue>(this.size);
      this.valueTables.set(keyName, table);
    }
    return table;
  }

  /** The table keyed by the text hashed, made on first use. */
  texts(): RecentScores<string> {
    return (this.textTable ??= new RecentScores<string>(this.size));
  }

  /** Entries held now, over every table. */
  get entries(): number {
    let n = this.textTable?.size ?? 0;
    for (const table of this.valueTables.values()) n += table.size;
    return n;
  }
}

/**
 * The client's memo from its `scoreMemoSize` option: undefined (no memo) at 0, a typed error for
 * anything but a non-negative integer.
 */
export function scoreMemoOf(size: number | undefined): ScoreMemo | undefined {
  if (size === 0) return undefined;
  if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) {
    throw new InvalidArgumentError(
      `scoreMemoSize must be a non-negative integer (0 turns the memo off), got ${String(size)}`,
    );
  }
  return new ScoreMemo(size);
}
