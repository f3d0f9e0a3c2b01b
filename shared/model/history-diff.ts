import type { HistoryEntry } from './history';
import { isStoredObject, parseStoredJson, writeStoredJson, type StoredJson, type StoredObject } from '../stored-json';

/** What part of a flag one line of a diff is about. */
export type ChangeField = 'flag' | 'state' | 'client_data' | 'conditions' | 'bucketer' | 'created_date' | 'other';

/** One readable line of a change: what moved, with the values before and after as stored JSON text. */
export interface ChangeLine {
  field: ChangeField;
  change: 'added' | 'removed' | 'changed';
  /** The client data key, or the condition's text; absent for whole fields. */
  path?: string;
  before?: string;
  after?: string;
  /** The line as a person reads it: `state: off → on`, `client_data.plan: "free" → "pro"`. */
  text: string;
}

/** A change's before and after, as stored JSON text (undefined: did not exist / deleted). */
export interface StoredChange {
  before?: string;
  after?: string;
  beforeUnknown?: boolean;
}

/**
 * The difference between two stored states of a flag (a history entry, or its stored JSON before
 * and after) as readable lines (used by the CLI's and the
 * console's history): which of state, client data keys, conditions, bucketer and created date
 * changed. Works on the stored JSON trees (Python's NaN and big integers shown as stored); text
 * that does not parse is shown whole.
 */
export function describeChange(change: StoredChange | HistoryEntry): ChangeLine[] {
  // A library entry (`client.history`) carries the stored JSON as beforeJson/afterJson; a stored
  // record (the server's, which also has featureName) as before/after.
  if ('time' in change) {
    return describeChange({ before: change.beforeJson, after: change.afterJson, beforeUnknown: change.beforeUnknown });
  }
  if (change.after === undefined) {
    return [{ field: 'flag', change: 'removed', before: change.before, text: 'deleted' }];
  }
  const after = parseTree(change.after);
  if (change.before === undefined) {
    const summary = after === undefined ? change.after : summarize(after);
    const label = change.beforeUnknown ? 'first recorded' : 'created';
    return [{ field: 'flag', change: 'added', after: change.after, text: `${label}: ${summary}` }];
  }
  const before = parseTree(change.before);
  if (before === undefined || after === undefined) {
    return [
      { field: 'other', change: 'changed', before: change.before, after: change.after, text: 'stored JSON changed' },
    ];
  }
  const lines: ChangeLine[] = [];
  const [was, is] = [state(before), state(after)];
  if (was !== is)
    lines.push({ field: 'state', change: 'changed', before: was, after: is, text: `state: ${was} → ${is}` });
  const [metaBefore, metaAfter] = [objectAt(before, 'meta'), objectAt(after, 'meta')];
  lines.push(...clientDataLines(objectAt(metaBefore, 'client_data'), objectAt(metaAfter, 'client_data')));
  const [conditionsBefore, conditionsAfter] = [listAt(metaBefore, 'conditions'), listAt(metaAfter, 'conditions')];
  const conditionChanges = conditionLines(conditionsBefore, conditionsAfter);
  lines.push(...conditionChanges);
  if (conditionChanges.length === 0 && textOf(conditionsBefore) !== textOf(conditionsAfter)) {
    lines.push({
      field: 'conditions',
      change: 'changed',
      text: 'conditions: reordered (what they match is unchanged)',
    });
  }
  const [bucketerBefore, bucketerAfter] = [fieldOf(metaBefore, 'bucketer'), fieldOf(metaAfter, 'bucketer')];
  if (textOf(bucketerBefore) !== textOf(bucketerAfter)) {
    const [b, a] = [describeBucketer(bucketerBefore), describeBucketer(bucketerAfter)];
    lines.push({
      field: 'bucketer',
      change: 'changed',
      before: textOf(bucketerBefore),
      after: textOf(bucketerAfter),
      text: `bucketer: ${b} → ${a}`,
    });
  }
  const [dateBefore, dateAfter] = [
    textOf(fieldOf(metaBefore, 'created_date')),
    textOf(fieldOf(metaAfter, 'created_date')),
  ];
  if (dateBefore !== dateAfter) {
    lines.push({
      field: 'created_date',
      change: 'changed',
      before: dateBefore,
      after: dateAfter,
      text: `created_date: ${dateBefore} → ${dateAfter}`,
    });
  }
  if (lines.length === 0 && change.before !== change.after) {
    lines.push({
      field: 'other',
      change: 'changed',
      before: change.before,
      after: change.after,
      text: 'stored JSON changed (no field a flag evaluates)',
    });
  }
  return lines;
}

function parseTree(text: string): StoredObject | undefined {
  try {
    const tree = parseStoredJson(text);
    return isStoredObject(tree) ? tree : undefined;
  } catch {
    return undefined;
  }
}

/** An own field of a stored object (never one of Object.prototype's: names are data). */
function fieldOf(tree: StoredObject | undefined, key: string): StoredJson | undefined {
  return tree !== undefined && Object.prototype.hasOwnProperty.call(tree, key) ? tree[key] : undefined;
}

function objectAt(tree: StoredObject | undefined, key: string): StoredObject | undefined {
  const value = fieldOf(tree, key);
  return isStoredObject(value) ? value : undefined;
}

function listAt(tree: StoredObject | undefined, key: string): StoredJson[] {
  const value = fieldOf(tree, key);
  return Array.isArray(value) ? value : [];
}

function textOf(value: StoredJson | undefined): string | undefined {
  return value === undefined ? undefined : writeStoredJson(value);
}

function state(tree: StoredObject): string {
  const value = fieldOf(tree, 'is_enabled');
  return value === true ? 'on' : value === false ? 'off' : (textOf(value) ?? 'absent');
}

function summarize(tree: StoredObject): string {
  const meta = objectAt(tree, 'meta');
  const parts = [state(tree)];
  const data = objectAt(meta, 'client_data');
  if (data !== undefined && Object.keys(data).length > 0) parts.push(`client_data ${writeStoredJson(data)}`);
  const conditions = listAt(meta, 'conditions');
  if (conditions.length > 0) parts.push(conditions.map(describeCondition).join('; '));
  const bucketer = describeBucketer(fieldOf(meta, 'bucketer'));
  if (bucketer !== 'none') parts.push(`bucketer ${bucketer}`);
  return parts.join(', ');
}

function clientDataLines(before: StoredObject | undefined, after: StoredObject | undefined): ChangeLine[] {
  const lines: ChangeLine[] = [];
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of [...keys].sort()) {
    const [b, a] = [textOf(fieldOf(before, key)), textOf(fieldOf(after, key))];
    const path = `client_data.${key}`;
    if (b === a) continue;
    if (b === undefined)
      lines.push({ field: 'client_data', change: 'added', path: key, after: a, text: `${path}: added ${a}` });
    else if (a === undefined)
      lines.push({
        field: 'client_data',
        change: 'removed',
        path: key,
        before: b,
        text: `${path}: removed (was ${b})`,
      });
    else
      lines.push({
        field: 'client_data',
        change: 'changed',
        path: key,
        before: b,
        after: a,
        text: `${path}: ${b} → ${a}`,
      });
  }
  return lines;
}

/** Conditions compared as a multiset of their readable forms (their order does not change what a flag evaluates to). */
function conditionLines(before: StoredJson[], after: StoredJson[]): ChangeLine[] {
  const remaining = before.map(describeCondition);
  const added: string[] = [];
  for (const text of after.map(describeCondition)) {
    const at = remaining.indexOf(text);
    if (at >= 0) remaining.splice(at, 1);
    else added.push(text);
  }
  return [
    ...remaining.map((text): ChangeLine => ({
      field: 'conditions',
      change: 'removed',
      path: text,
      text: `condition removed: ${text}`,
    })),
    ...added.map((text): ChangeLine => ({
      field: 'conditions',
      change: 'added',
      path: text,
      text: `condition added: ${text}`,
    })),
  ];
}

const SYMBOLS = new Map([
  ['gt', '>'],
  ['gte', '>='],
  ['lt', '<'],
  ['lte', '<='],
  ['ne', '!='],
  ['in', 'in'],
  ['not_in', 'not in'],
]);

/** `user_id in [1, 2] and is_admin == true`, from a stored condition (`{variable: [check, ...]}`). */
export function describeCondition(condition: StoredJson): string {
  if (!isStoredObject(condition)) return writeStoredJson(condition);
  const checks: string[] = [];
  for (const variable of Object.keys(condition)) {
    const list = condition[variable];
    for (const check of Array.isArray(list) ? list : [list]) {
      if (!isStoredObject(check)) {
        checks.push(`${variable}: ${writeStoredJson(check)}`);
        continue;
      }
      const operator = fieldOf(check, 'operator');
      const symbol = typeof operator === 'string' ? (SYMBOLS.get(operator) ?? operator) : '==';
      checks.push(`${variable} ${symbol} ${textOf(fieldOf(check, 'value')) ?? 'null'}`);
    }
  }
  return checks.length === 0 ? 'always' : checks.join(' and ');
}

/** `none`, `25%`, `consistent 25% on user_id`, `ramp 0% → 100% over 7200 s from 1700000000`. */
export function describeBucketer(bucketer: StoredJson | undefined): string {
  if (bucketer === undefined || bucketer === null) return 'none';
  if (!isStoredObject(bucketer)) return writeStoredJson(bucketer);
  const type = fieldOf(bucketer, 'type');
  if (type === 'NoOpBucketer') return 'none';
  const percentage = describePercentage(fieldOf(bucketer, 'percentage'));
  if (type === 'PercentageBucketer') return percentage;
  if (type === 'ConsistentHashPercentageBucketer') {
    const keys = listAt(bucketer, 'key_whitelist').map((key) => (typeof key === 'string' ? key : writeStoredJson(key)));
    return `consistent ${percentage} on ${keys.length > 0 ? keys.join(', ') : 'every key'}`;
  }
  return writeStoredJson(bucketer);
}

function describePercentage(percentage: StoredJson | undefined): string {
  if (!isStoredObject(percentage)) return textOf(percentage) ?? '?';
  const asPercent = (value: StoredJson | undefined) => {
    const n = Number(textOf(value));
    return Number.isFinite(n) ? `${+(n * 100).toFixed(4)}%` : (textOf(value) ?? '?');
  };
  if (fieldOf(percentage, 'type') === 'LinearRampPercentage') {
    const [from, to] = [asPercent(fieldOf(percentage, 'initial_value')), asPercent(fieldOf(percentage, 'final_value'))];
    return `ramp ${from} → ${to} over ${textOf(fieldOf(percentage, 'ramp_duration'))} s from ${textOf(fieldOf(percentage, 'initial_time'))}`;
  }
  return asPercent(fieldOf(percentage, 'value'));
}
