import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FeatureFlagStore } from '../client/stores/feature-flag-store';
import { InvalidArgumentError, compareUtf8, type FeatureFlagStoreItem } from '../shared';

/** Flags read from the store per call while answering a `List`: each read and parse is one short run. */
const STORE_PAGE = 500;

/**
 * Flags `[offset, offset + limit)` in name order (all from `offset` when `limit` is undefined),
 * read from the store a page at a time with a turn for other connections in between, so a
 * `List` of 20,000 flags never holds the event loop for long. A flag created or deleted during the
 * walk may shift the pages: names are kept strictly ascending (no flag twice), and one may be missed.
 */
export async function readRange(
  store: FeatureFlagStore,
  offset: number,
  limit: number | undefined,
): Promise<FeatureFlagStoreItem[]> {
  const out: FeatureFlagStoreItem[] = [];
  let at = offset;
  let last: string | undefined;
  for (;;) {
    const want = limit === undefined ? STORE_PAGE : Math.min(STORE_PAGE, limit - out.length);
    if (want <= 0) return out;
    const page = await store.list({ limit: want, offset: at });
    for (const item of page) {
      if (last !== undefined && compareUtf8(item.featureName, last) <= 0) continue;
      out.push(item);
      last = item.featureName;
    }
    if (page.length < want) return out;
    at += page.length;
    await nextTurn();
  }
}

/** The cursor `ListPage` gives for the page starting at `offset`. Opaque to callers. */
export function cursorAt(offset: number): string {
  return `o${offset}`;
}

/** Where the page a cursor names starts; a cursor this server did not give is `InvalidArgumentError`. */
export function offsetOfCursor(cursor: string): number {
  const match = /^o(\d{1,15})$/.exec(cursor);
  if (match === null) {
    throw new InvalidArgumentError(`cursor ${JSON.stringify(cursor.slice(0, 100))} is not one this server gave`);
  }
  return Number(match[1]);
}
