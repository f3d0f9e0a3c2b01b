/** The page `[offset, offset + limit)` of `items` (all from `offset` when `limit` is undefined). */
export function slicePage<T>(items: readonly T[], limit: number | undefined, offset: number): T[] {
  return items.slice(offset, limit === undefined ? undefined : offset + limit);
}
