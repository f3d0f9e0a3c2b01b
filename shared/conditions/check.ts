import { JsonValue } from '../json';
import { InvalidConditionError } from '../errors';
import { OperatorSymbol, OperatorTest, isOperatorSymbol, operatorFor } from './operator';

/** The Python library's stored form of one check: `{ variable, value, operator }`. */
export interface CheckJSON {
  variable: string;
  value: JsonValue;
  operator: OperatorSymbol | null;
}

/** One test of one variable: `age >= 18`. Immutable. */
export class Check {
  readonly variable: string;
  readonly value: JsonValue;
  readonly operator: OperatorSymbol | null;
  private readonly op: OperatorTest;

  /**
   * `stored` is true when rebuilding a check read from a store: a stored `in` with a value that is
   * not a list is kept (and never satisfied) rather than refused, so one bad check cannot hide a flag.
   */
  constructor(variable: string, value: JsonValue, operator: OperatorSymbol | null, stored = false) {
    if (!stored && (operator === 'in' || operator === 'not_in') && !Array.isArray(value)) {
      throw new InvalidConditionError(
        `Condition ${variable}__${operator} needs a list of values, got ${JSON.stringify(value)}`,
      );
    }
    this.variable = variable;
    this.value = value;
    this.operator = operator;
    this.op = operatorFor(operator);
  }

  /** Parses `age__gte` into variable `age` and operator `gte`; a bare name is equality. */
  static fromKeyword(keyword: string, value: JsonValue): Check {
    const at = keyword.lastIndexOf('__');
    if (at < 0) return new Check(keyword, value, null);
    const symbol = keyword.slice(at + 2);
    const variable = keyword.slice(0, at);
    if (!isOperatorSymbol(symbol)) {
      operatorFor(symbol); // throws the typed error naming the operator
    }
    if (variable === '')
      throw new InvalidConditionError(`Condition key ${JSON.stringify(keyword)} has no variable name`);
    return new Check(variable, value, symbol as OperatorSymbol);
  }

  /** Rebuilds a check from its stored form; a stored `in` with a non-list value is kept and never satisfied. */
  static fromJSON(json: unknown): Check {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new InvalidConditionError(`A condition check must be an object, got ${JSON.stringify(json)}`);
    }
    const { variable, value, operator } = json as Record<string, unknown>;
    if (typeof variable !== 'string') {
      throw new InvalidConditionError(`A condition check needs a string "variable", got ${JSON.stringify(variable)}`);
    }
    if (operator !== null && operator !== undefined && typeof operator !== 'string') {
      throw new InvalidConditionError(`Condition operator must be a string or null, got ${JSON.stringify(operator)}`);
    }
    const symbol = (operator ?? null) as string | null;
    operatorFor(symbol);
    return new Check(variable, (value ?? null) as JsonValue, symbol as OperatorSymbol | null, true);
  }

  /** True when `actual` satisfies this check. Never throws. */
  test(actual: unknown): boolean {
    return this.op(actual, this.value);
  }

  toJSON(): CheckJSON {
    return { variable: this.variable, value: this.value, operator: this.operator };
  }
}
