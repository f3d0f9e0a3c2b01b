import type { FeatureFlagStoreItem } from '../model/item';
import type { BucketerFactoryOptions } from '../bucketing/bucketer-factory';
import { InvalidItemError } from '../errors';
import { itemFromThrift, itemToThrift, thriftTypes, type ThriftItem } from './mapping';
import { i64ToBigInt } from './wire/int64';
import type { I64Value } from './wire/types';

/** A replica's cursor in the change feed: the store's version sequence and how far it got. */
export interface FeedPosition {
  storeId: string;
  version: number;
}

/** `StoreVersion` from a position. */
export function positionToThrift(position: FeedPosition): object {
  return new (thriftTypes().StoreVersion)({ store_id: position.storeId, version: position.version });
}

/** A position from the wire: undefined when absent or incomplete (the server then asks for a snapshot). */
export function positionFromThrift(value: unknown): FeedPosition | undefined {
  const v = value as { store_id?: unknown; version?: unknown } | null | undefined;
  if (
    v === null ||
    v === undefined ||
    typeof v.store_id !== 'string' ||
    v.version === null ||
    v.version === undefined
  ) {
    return undefined;
  }
  try {
    const version = Number(i64ToBigInt(v.version as I64Value));
    return Number.isSafeInteger(version) && version >= 0 ? { storeId: v.store_id, version } : undefined;
  } catch {
    return undefined;
  }
}

/** The `Snapshot` reply. */
export function snapshotToThrift(position: FeedPosition, items: readonly FeatureFlagStoreItem[]): object {
  return new (thriftTypes().Snapshot)({
    version: positionToThrift(position),
    items: items.map((item) => itemToThrift(item)),
  });
}

/** The `Changes` reply. */
export function changesToThrift(
  position: FeedPosition,
  changed: readonly FeatureFlagStoreItem[],
  deleted: readonly string[],
  snapshotRequired: boolean,
): object {
  return new (thriftTypes().Changes)({
    version: positionToThrift(position),
    changed: sendableItems(changed),
    deleted: [...deleted],
    snapshot_required: snapshotRequired,
  });
}

/** What a replica takes from a `Snapshot` or `Changes` reply. */
export interface FeedReply {
  position: FeedPosition | undefined;
  changed: FeatureFlagStoreItem[];
  deleted: string[];
  snapshotRequired: boolean;
  /** Names of items that did not parse (they are left out of `changed`). */
  skipped: string[];
}

/** Decodes a `Snapshot` (items in `changed`) or `Changes` reply; an item that does not parse is skipped and named. */
export function feedReplyFromThrift(reply: unknown, options?: BucketerFactoryOptions): FeedReply {
  const r = (reply ?? {}) as {
    version?: unknown;
    items?: ThriftItem[] | null;
    changed?: ThriftItem[] | null;
    deleted?: unknown[] | null;
    snapshot_required?: unknown;
  };
  const changed: FeatureFlagStoreItem[] = [];
  const skipped: string[] = [];
  for (const raw of r.items ?? r.changed ?? []) {
    try {
      changed.push(itemFromThrift(raw, options));
    } catch (error) {
      if (!(error instanceof InvalidItemError)) throw error;
      skipped.push(String(raw?.feature_name ?? ''));
    }
  }
  return {
    position: positionFromThrift(r.version),
    changed,
    deleted: (r.deleted ?? []).filter((name): name is string => typeof name === 'string'),
    snapshotRequired: r.snapshot_required === true,
    skipped,
  };
}

/**
 * The items the wire can carry. A flag another program wrote that the wire cannot carry (a
 * created_date past i64, say) is left out, as `List` leaves it out (and logs it), rather than
 * failing every replica's snapshot: replicas then give that one flag its default.
 */
function sendableItems(items: readonly FeatureFlagStoreItem[]): ThriftItem[] {
  const wire: ThriftItem[] = [];
  for (const item of items) {
    try {
      wire.push(itemToThrift(item));
    } catch {
      // left out: see above
    }
  }
  return wire;
}
