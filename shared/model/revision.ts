import { createHash } from 'node:crypto';
import type { FeatureFlagStoreItem } from './item';

/**
 * The revision of an item as read from a store: an opaque text that changes whenever the stored
 * flag changes, whoever changed it. Serialized stores use a digest of the stored JSON text (so a
 * Python writer, which knows nothing of revisions, changes it too, and two servers over one backend
 * give the same revision for the same flag); the memory store a counter. A conditional write
 * carries the revision its writer read and is refused when it no longer matches.
 *
 * Kept beside the item rather than in it: items are immutable values shared by caches, and a copy
 * made by `withMeta`/`withEnabled` is a new item that was never read, so it has no revision.
 */
const revisions = new WeakMap<FeatureFlagStoreItem, string | (() => string)>();

/** Records the revision of an item just read (a function is called once, on first use). */
export function rememberRevision(item: FeatureFlagStoreItem, revision: string | (() => string)): void {
  revisions.set(item, revision);
}

/** The revision of an item read from a store, or undefined for an item that was never read. */
export function revisionOf(item: FeatureFlagStoreItem): string | undefined {
  const known = revisions.get(item);
  if (typeof known !== 'function') return known;
  const revision = known();
  revisions.set(item, revision);
  return revision;
}

/** The revision of stored JSON text: the first 128 bits of its SHA-256, base64url. */
export function textRevision(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
