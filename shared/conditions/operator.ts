import { compareCodePoints, jsonEquals } from '../json';
import { InvalidConditionError } from '../errors';

/** The operator symbols the Python library stores (`null` is equality). */
export type OperatorSymbol = 'gt' | 'gte' | 'lt' | 'lte' | 'ne' | 'in' | 'not_in';

/** Tests a value passed to `isEnabled` against the condition's expected value. Never throws. */
export type OperatorTest = (actual: unknown, expected: unknown) => boolean;

function isNumeric(value: unknown): value is number | bigint {
  return typeof value === 'number' || typeof value === 'bigint';
}

/**
 * -1, 0 or 1 when both are numbers (`number` or `bigint`, compared by exact value as Python
 * compares ints and floats) or both strings (by code point); undefined when they cannot be
 * ordered (`NaN` included).
 */
function order(a: unknown, b: unknown): number | undefined {
  if (isNumeric(a) && isNumeric(b)) {
    // JavaScript's < and > between a bigint and a number compare their exact values.
    return a < b ? -1 : a > b ? 1 : a == b ? 0 : undefined;
  }
  if (typeof a === 'string' && typeof b === 'string') return Math.sign(compareCodePoints(a, b));
  return undefined;
}

function member(actual: unknown, list: unknown): boolean {
  if (!Array.isArray(list)) return false;
  for (const item of list) if (jsonEquals(actual, item)) return true;
  return false;
}

export const equals: OperatorTest = (a, e) => jsonEquals(a, e);

export const OPERATORS: Readonly<Record<OperatorSymbol, OperatorTest>> = {
  gt: (a, e) => order(a, e) === 1,
  gte: (a, e) => {
    const o = order(a, e);
    return o === 1 || o === 0;
  },
  lt: (a, e) => order(a, e) === -1,
  lte: (a, e) => {
    const o = order(a, e);
    return o === -1 || o === 0;
  },
  ne: (a, e) => !jsonEquals(a, e),
  in: (a, e) => member(a, e),
  // A stored not_in whose value is not a list is malformed: it is simply not satisfied.
  not_in: (a, e) => Array.isArray(e) && !member(a, e),
};

export function isOperatorSymbol(symbol: unknown): symbol is OperatorSymbol {
  return typeof symbol === 'string' && Object.prototype.hasOwnProperty.call(OPERATORS, symbol);
}

/** The test for a symbol (`null` or `undefined` for equality); an unknown symbol is an error. */
export function operatorFor(symbol: string | null | undefined): OperatorTest {
  if (symbol === null || symbol === undefined) return equals;
  if (!isOperatorSymbol(symbol)) {
    throw new InvalidConditionError(
      `Unknown condition operator ${JSON.stringify(symbol)}; expected one of ${Object.keys(OPERATORS).join(', ')}`,
    );
  }
  return OPERATORS[symbol];
}
