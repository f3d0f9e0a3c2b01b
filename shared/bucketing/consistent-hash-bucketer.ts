import { Checks, JsonValue, compareCodePoints } from '../json';
import { pythonJsonDumps, pythonJsonString } from '../python-json';
import { Bucketer, BucketerJSON, BucketerTrace } from './bucketer';
import { serializeChecks } from './consistent-hash';
import { AbstractPercentage, Percentage } from './percentage';
import type { RecentScores } from './recent-scores';
import { MAX_MEMO_TEXT, MAX_MEMO_VALUE, type MemoValue, type ScoreMemo } from './score-memo';
import { sha1Score } from './sha1-score';

export interface ConsistentHashPercentageBucketerOptions {
  /** Keys of the checks that are hashed; empty (the default) hashes every key. */
  keyWhitelist?: readonly string[];
  /** The share of buckets that are enabled. Default 100%. */
  percentage?: AbstractPercentage;
}

/** What Python hashes when no whitelisted key was passed: `json.dumps([])`. */
const NOTHING = '[]';
const NOTHING_SCORE = sha1Score(NOTHING);
const EMPTY_SET: ReadonlySet<string> = new Set();

/**
 * A whitelisted name as the bucketer reads it from the checks, `[key, ` written once. Names that
 * `Object.prototype` has (`toString`, `__proto__`) are read only as own properties: inherited
 * members are not checks (a `for...in` over the checks never sees them either).
 */
class WhitelistedKey {
  readonly prefix: string;
  /** `[[key, `: the start of the text when this is the only key hashed. */
  readonly alone: string;
  readonly ownOnly: boolean;

  constructor(readonly name: string) {
    this.prefix = '[' + pythonJsonString(name) + ', ';
    this.alone = '[' + this.prefix;
    this.ownOnly = name in Object.prototype;
  }

  read(checks: Checks): JsonValue | undefined {
    if (this.ownOnly && !Object.prototype.hasOwnProperty.call(checks, this.name)) return undefined;
    return checks[this.name];
  }
}

/**
 * Puts the same checks in the same bucket every time, in Python and in Node alike. As in Python,
 * the flag name is not hashed (flags at one percentage pick the same users) and a score `s` is
 * enabled when `s <= percentage`, so 50% enables 51 of the 100 buckets.
 *
 * The text hashed is always Python's (`serializeChecks`), built without intermediate arrays for a
 * known whitelist; with a `ScoreMemo` (the client's), a returning value costs a lookup, not a SHA-1.
 */
export class ConsistentHashPercentageBucketer implements Bucketer {
  readonly type = 'ConsistentHashPercentageBucketer';
  readonly percentage: AbstractPercentage;
  readonly keyWhitelist: readonly string[];
  /** The distinct whitelisted keys in Python's sort order (code points); empty: every key is hashed. */
  private readonly sortedKeys: readonly WhitelistedKey[];
  /** The one whitelisted key, when there is exactly one (the common `['user_id']`). */
  private readonly single: WhitelistedKey | undefined;
  /** The memo last used and its value table for `single`, looked up once per memo, not per call. */
  private memoSeen: ScoreMemo | undefined = undefined;
  private memoValues: RecentScores<MemoValue> | undefined = undefined;

  constructor(options: ConsistentHashPercentageBucketerOptions = {}) {
    this.percentage = options.percentage ?? new Percentage(1.0);
    this.keyWhitelist = Object.freeze([...(options.keyWhitelist ?? [])]);
    const names = [...new Set(this.keyWhitelist)].sort(compareCodePoints);
    this.sortedKeys = Object.freeze(names.map((name) => new WhitelistedKey(name)));
    this.single = this.sortedKeys.length === 1 ? this.sortedKeys[0] : undefined;
  }

  /** The bucket of these checks, in [0, 1) by steps of 0.01 (computed, never from a memo). */
  score(checks?: Checks): number {
    const single = this.single;
    if (single !== undefined) {
      const value = checks == null ? undefined : single.read(checks);
      return value === undefined ? NOTHING_SCORE : sha1Score(single.alone + pythonJsonDumps(value) + ']]');
    }
    return sha1Score(this.serialize(checks));
  }

  /** The text Python hashes for these checks: the same as `serializeChecks(checks, whitelist)`. */
  serialize(checks?: Checks): string {
    if (checks == null) return NOTHING;
    const keys = this.sortedKeys;
    if (keys.length === 0) return serializeAll(checks);
    let out = '[';
    for (let i = 0; i < keys.length; i++) {
      const value = keys[i].read(checks);
      if (value === undefined) continue;
      if (out.length > 1) out += ', ';
      out += keys[i].prefix + pythonJsonDumps(value) + ']';
    }
    return out + ']';
  }

  check(checks?: Checks, trace?: BucketerTrace, memo?: ScoreMemo): boolean {
    const percentage = this.percentage.value;
    if (percentage <= 0 && !trace) return false;
    const score = memo === undefined ? this.score(checks) : this.rememberedScore(checks, memo);
    if (trace) {
      trace.score = score;
      trace.percentage = percentage;
    }
    return percentage > 0 && score <= percentage;
  }

  /**
   * The score from the memo when it holds it, else computed and kept: always what `score` gives.
   * Kept small (a returning single-key value is one lookup) so that `check` can take it inline.
   */
  private rememberedScore(checks: Checks | undefined, memo: ScoreMemo): number {
    const single = this.single;
    if (single === undefined) return this.rememberedText(checks, memo);
    const value = checks == null ? undefined : single.read(checks);
    if (value === undefined) return NOTHING_SCORE;
    const values = memo === this.memoSeen ? this.memoValues : this.valuesOf(memo, single);
    // Only values that pass `isMemoValue` are ever stored and a Map finds a key only by
    // SameValueZero, so whatever is found is one of them: a hit needs no test of the value first.
    const known = values?.get(value as MemoValue);
    return known !== undefined ? known : this.rememberedValue(checks, value, values, memo);
  }

  /** The memo's value table for the one whitelisted key, looked up once per memo, not per call. */
  private valuesOf(memo: ScoreMemo, single: WhitelistedKey): RecentScores<MemoValue> | undefined {
    this.memoSeen = memo;
    this.memoValues = memo.valueTable(single.name);
    return this.memoValues;
  }

  /** A single-key value the memo does not hold: computed, and kept when its table can keep it. */
  private rememberedValue(
    checks: Checks | undefined,
    value: JsonValue,
    values: RecentScores<MemoValue> | undefined,
    memo: ScoreMemo,
  ): number {
    if (values === undefined || !isMemoValue(value)) return this.rememberedText(checks, memo);
    const score = sha1Score(this.single!.alone + pythonJsonDumps(value) + ']]');
    values.set(value, score);
    return score;
  }

  /** The score by the exact text hashed, through the memo's text table when the text is short enough. */
  private rememberedText(checks: Checks | undefined, memo: ScoreMemo): number {
    const text = this.serialize(checks);
    if (text.length > MAX_MEMO_TEXT) return sha1Score(text);
    const texts = memo.texts();
    let score = texts.get(text);
    if (score === undefined) {
      score = sha1Score(text);
      texts.set(text, score);
    }
    return score;
  }

  toJSON(): BucketerJSON {
    return {
      type: 'ConsistentHashPercentageBucketer',
      percentage: this.percentage.toJSON(),
      key_whitelist: [...this.keyWhitelist],
    };
  }
}

/** A check value a value table keeps as itself: a number, a boolean, or a string of at most MAX_MEMO_VALUE units. */
function isMemoValue(value: JsonValue): value is MemoValue {
  const kind = typeof value;
  return kind === 'number' || kind === 'boolean' || (kind === 'string' && (value as string).length <= MAX_MEMO_VALUE);
}

/** Every key hashed (an empty whitelist): one passed key is written directly, more are sorted first. */
function serializeAll(checks: Checks): string {
  let only: string | undefined;
  for (const key in checks) {
    if (checks[key] === undefined) continue;
    if (only !== undefined) return serializeChecks(checks, EMPTY_SET);
    only = key;
  }
  if (only === undefined) return NOTHING;
  return '[[' + pythonJsonString(only) + ', ' + pythonJsonDumps(checks[only]) + ']]';
}
