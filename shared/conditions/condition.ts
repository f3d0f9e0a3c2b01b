import { Checks, JsonValue, isJsonObject } from '../json';
import { setOwn } from '../own-keys';
import { showJson } from '../json-text';
import { InvalidConditionError } from '../errors';
import { Check, CheckJSON } from './check';

/** The Python library's stored form of a condition: variable -> its checks. */
export type ConditionJSON = Record<string, CheckJSON[]>;

/** Keyword form accepted by `new Condition(...)`: `{ is_admin: true, age__gte: 18, plan__in: [...] }`. */
export type ConditionInput = Readonly<Record<string, JsonValue>>;

/**
 * A set of checks that must all hold for the variables the caller passes. A variable the caller
 * does not pass is not checked (as in Python). Immutable once built.
 */
export class Condition {
  private readonly byVariable: ReadonlyMap<string, readonly Check[]>;

  /**
   * Builds a condition from keywords, parsed as Python parses them (see `Check.fromKeyword`); an
   * unknown operator throws `InvalidConditionError`. Every key is a name: pass `__proto__` as an
   * own key (`{ ['__proto__']: 1 }` or from `JSON.parse`), not as an object literal's prototype.
   */
  constructor(checks: ConditionInput = {}) {
    if (!isJsonObject(checks)) throw new InvalidConditionError('A condition is built from an object of checks');
    const map = new Map<string, Check[]>();
    for (const keyword of Object.keys(checks)) {
      const check = Check.fromKeyword(keyword, checks[keyword]);
      const list = map.get(check.variable);
      if (list) list.push(check);
      else map.set(check.variable, [check]);
    }
    this.byVariable = map;
  }

  /** Rebuilds a condition from its stored form (`{ variable: [check, ...] }`). */
  static fromJSON(json: unknown): Condition {
    if (!isJsonObject(json)) throw new InvalidConditionError(`A condition must be an object, got ${showJson(json)}`);
    const map = new Map<string, Check[]>();
    for (const key of Object.keys(json)) {
      const list = json[key];
      if (!Array.isArray(list)) {
        throw new InvalidConditionError(`Condition checks for ${JSON.stringify(key)} must be a list`);
      }
      for (const raw of list) {
        const check = Check.fromJSON(raw);
        const existing = map.get(check.variable);
        if (existing) existing.push(check);
        else map.set(check.variable, [check]);
      }
    }
    return Condition.fromChecks(map);
  }

  /** A condition holding exactly these checks, grouped by variable. */
  static fromChecks(checks: ReadonlyMap<string, readonly Check[]>): Condition {
    const condition = Object.create(Condition.prototype) as { byVariable: ReadonlyMap<string, readonly Check[]> };
    condition.byVariable = checks;
    return condition as unknown as Condition;
  }

  /** The checks on one variable, or undefined when this condition does not look at it. */
  checksFor(variable: string): readonly Check[] | undefined {
    return this.byVariable.get(variable);
  }

  /** Every check, in order. */
  get checks(): Check[] {
    return [...this.byVariable.values()].flat();
  }

  /** The variables this condition looks at. */
  get variables(): string[] {
    return [...this.byVariable.keys()];
  }

  /** True when every check on a passed variable holds (Python's `Condition.check`). */
  check(checks: Checks): boolean {
    for (const variable in checks) {
      const value = checks[variable];
      if (value === undefined) continue;
      const list = this.byVariable.get(variable);
      if (!list) continue;
      for (const c of list) if (!c.test(value)) return false;
    }
    return true;
  }

  toJSON(): ConditionJSON {
    const out: ConditionJSON = {};
    for (const [variable, list] of this.byVariable)
      setOwn(
        out,
        variable,
        list.map((c) => c.toJSON()),
      );
    return out;
  }
}
