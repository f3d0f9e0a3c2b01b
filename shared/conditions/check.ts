import { JsonValue } from '../json';
import { showJson } from '../json-text';
import { InvalidConditionError } from '../errors';
import { OPERATORS, OperatorSymbol, OperatorTest, isOperatorSymbol, operatorFor } from './operator';

const OPERATOR_NAMES = Object.keys(OPERATORS).join(', ');

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
        `Condition ${variable}__${operator} needs a list of values, got ${showJson(value)}`,
      );
    }
    this.variable = variable;
    this.value = value;
    this.operator = operator;
    this.op = operatorFor(operator);
  }

  /**
   * Parses a keyword exactly as Python's `Check._parse_check_key`: a key with exactly one `__` is
   * `variable__operator` (`age__gte`; `__in` is `in` on the variable `''`); a key with none, or
   * with two or more, is equality on the whole key (`x__y__lt` checks the variable `x__y__lt`).
   * An unknown operator (`a___gt` gives `_gt`, `a__` gives `''`) throws `InvalidConditionError`.
   */
  static fromKeyword(keyword: string, value: JsonValue): Check {
    const parts = keyword.split('__');
    if (parts.length !== 2) return new Check(keyword, value, null);
    const [variable, symbol] = parts;
    if (!isOperatorSymbol(symbol)) {
      throw new InvalidConditionError(
        `Unknown condition operator ${JSON.stringify(symbol)} in ${JSON.stringify(keyword)}; expected one of ${OPERATOR_NAMES}`,
      );
    }
    return new Check(variable, value, symbol);
  }

  /** Rebuilds a check from its stored form; a stored `in` with a non-list value is kept and never satisfied. */
  static fromJSON(json: unknown): Check {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new InvalidConditionError(`A condition check must be an object, got ${showJson(json)}`);
    }
    const { variable, value, operator } = json as Record<string, unknown>;
    if (typeof variable !== 'string') {
      throw new InvalidConditionError(`A condition check needs a string "variable", got ${showJson(variable)}`);
    }
    if (operator !== null && operator !== undefined && typeof operator !== 'string') {
      throw new InvalidConditionError(`Condition operator must be a string or null, got ${showJson(operator)}`);
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
