import type { FeatureFlagStore } from '../client/stores/feature-flag-store';
import { InvalidArgumentError, compareUtf8, type FeatureFlagStoreItem } from '../shared';
import { nextSlice } from '../shared/work-slices';

/**
 * Flags read per store call while answering a `List`: a page of parsed flags lives until it is
 * encoded, and fewer survivors keep each garbage collection short. A store holding its items in
 * memory (no parsing) is read in larger pages.
 */
const STORE_PAGE = 100;
const MEMORY_STORE_PAGE = 1000;

/**
 * Flags `[offset, offset + limit)` in name order (all from `offset` when `limit` is undefined),
 * read from the store a page at a time (each in a slice of its own, see `work-slices.ts`), so a
 * `List` of 20,000 flags never holds the event loop for long, and a caller can let go of each page
 * before the next is read. A flag created or deleted during the walk may shift the pages: names
 * are kept strictly ascending (no flag twice), and one may be missed.
 */
export async function* readPages(
  store: FeatureFlagStore,
  offset: number,
  limit: number | undefined,
): AsyncGenerator<FeatureFlagStoreItem[]> {
  const pageSize = store.peek !== undefined ? MEMORY_STORE_PAGE : STORE_PAGE;
  let at = offset;
  let left = limit ?? Infinity;
  let last: string | undefined;
  while (left > 0) {
    // Each page is read (and parsed) in a slice of its own, taken in turn with other long work.
    await nextSlice();
    const want = Math.min(pageSize, left);
    const page = await store.list({ limit: want, offset: at });
    const fresh = last === undefined ? page : page.filter((item) => compareUtf8(item.featureName, last!) > 0);
    if (fresh.length > 0) {
      last = fresh[fresh.length - 1].featureName;
      left -= fresh.length;
      yield fresh;
    }
    if (page.length < want) return;
    at += page.length;
  }
}

/** Every flag `readPages` gives, in one array. */
export async function readRange(
  store: FeatureFlagStore,
  offset: number,
  limit: number | undefined,
): Promise<FeatureFlagStoreItem[]> {
  const out: FeatureFlagStoreItem[] = [];
  for await (const page of readPages(store, offset, limit)) out.push(...page);
  return out;
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
