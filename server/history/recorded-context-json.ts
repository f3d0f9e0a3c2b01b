import type { RecordedContext } from '../../shared/model/history';

const TEXT_FIELDS = ['actor', 'reason', 'operation', 'identity', 'peer'] as const;

/** The context as one JSON object, as the backends keep it beside an entry; undefined when there is none. */
export function contextToJson(context: RecordedContext | undefined): string | undefined {
  return context === undefined ? undefined : JSON.stringify(context);
}

/**
 * The context kept beside an entry, read back: only the known fields of the right type (entries
 * written by other versions or other programs may carry more, or malformed ones); undefined when
 * there is none or it is not a JSON object.
 */
export function contextFromJson(json: string | null | undefined): RecordedContext | undefined {
  if (json === null || json === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = new Map(Object.entries(parsed));
  const context: RecordedContext = {};
  for (const field of TEXT_FIELDS) {
    const value = fields.get(field);
    if (typeof value === 'string') context[field] = value;
  }
  const rollbackTo = fields.get('rollbackTo');
  if (typeof rollbackTo === 'number' && Number.isSafeInteger(rollbackTo)) context.rollbackTo = rollbackTo;
  return context;
}
