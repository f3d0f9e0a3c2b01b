import type { EvaluationContext, EvaluationContextValue } from '@openfeature/server-sdk';
import type { Checks, JsonValue } from '../../shared';
import { setOwn } from '../../shared/own-keys';

/**
 * An OpenFeature evaluation context as the checks `isEnabled` takes: `targetingKey` under
 * `targetingKeyName` (default `user_id`), every other attribute under its own name, as it is. A
 * `Date` (which JSON has not) becomes its ISO text. Keys are data (`__proto__` included).
 */
export function checksFromContext(context: EvaluationContext, targetingKeyName: string): Checks {
  const checks: Record<string, JsonValue> = {};
  for (const key of Object.keys(context)) {
    const value = context[key];
    if (value === undefined || key === 'targetingKey') continue;
    setOwn(checks, key, toJson(value));
  }
  if (context.targetingKey !== undefined) setOwn(checks, targetingKeyName, context.targetingKey);
  return checks;
}

function toJson(value: EvaluationContextValue): JsonValue {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(value)) setOwn(out, key, toJson(value[key]));
    return out;
  }
  return value;
}
