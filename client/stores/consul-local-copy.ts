import { compareUtf8, deserializeItem, type CodecOptions, type FeatureFlagStoreItem } from '../../shared';
import { slicePage } from '../../shared/page';

/** One flag as Consul holds it, parsed on first read. */
interface Entry {
  raw: string;
  /** Consul's `ModifyIndex`; undefined for a copy of our own write. */
  modifyIndex?: number;
  item?: FeatureFlagStoreItem;
}

/** A write this process made, kept over snapshots that may predate it. */
interface Override {
  entry?: Entry;
  /** Value of the write counter once the write was acknowledged. */
  seq: number;
}

/**
 * The Consul store's in-memory copy of every flag under its base key. Snapshots from the watch
 * replace it whole (a key gone from Consul leaves the copy too), except that a write of this
 * process survives any snapshot whose query was sent before the write was acknowledged: such a
 * snapshot may not show it yet, and the store must read its own writes.
 */
export class ConsulLocalCopy {
  private entries = new Map<string, Entry>();
  private readonly overrides = new Map<string, Override>();
  /** Writes acknowledged so far; a query records it when sent. */
  private acknowledged = 0;

  constructor(private readonly codec: CodecOptions) {}

  /** What to pass to `applySnapshot` for a query sent now. */
  get sequence(): number {
    return this.acknowledged;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Replaces the copy with a full listing from a query sent when `sequence` was `sentAt`. Returns
   * true when it kept a write of ours that the listing contradicts: the listing may be newer than
   * that write (another writer's change after ours) or older, and only a listing asked for after
   * the write can tell, so the caller asks for one at once rather than blocking until the next change.
   */
  applySnapshot(snapshot: Iterable<{ name: string; raw: string; modifyIndex: number }>, sentAt: number): boolean {
    const next = new Map<string, Entry>();
    for (const { name, raw, modifyIndex } of snapshot) {
      const old = this.entries.get(name);
      // An unchanged key keeps its parsed item.
      next.set(name, old && old.modifyIndex === modifyIndex && old.raw === raw ? old : { raw, modifyIndex });
    }
    let contradicted = false;
    for (const [name, override] of this.overrides) {
      if (override.seq <= sentAt) {
        this.overrides.delete(name);
        continue;
      }
      if (next.get(name)?.raw !== override.entry?.raw) contradicted = true;
      if (override.entry) next.set(name, override.entry);
      else next.delete(name);
    }
    this.entries = next;
    return contradicted;
  }

  /** Records an acknowledged write of this process: `raw` stored, or undefined for a delete. */
  applyWrite(name: string, raw: string | undefined): void {
    const entry = raw === undefined ? undefined : { raw };
    this.overrides.set(name, { entry, seq: ++this.acknowledged });
    if (entry) this.entries.set(name, entry);
    else this.entries.delete(name);
  }

  /** The stored text, or undefined. */
  raw(name: string): string | undefined {
    return this.entries.get(name)?.raw;
  }

  /** The parsed flag, or undefined when absent; throws `InvalidItemError` when it does not parse. */
  item(name: string): FeatureFlagStoreItem | undefined {
    const entry = this.entries.get(name);
    if (entry === undefined) return undefined;
    return (entry.item ??= deserializeItem(entry.raw, this.codec));
  }

  /** `[name, text]` pairs in UTF-8 order of names, `offset` skipped, at most `limit`. */
  page(limit: number | undefined, offset: number): Array<[string, string]> {
    const names = [...this.entries.keys()].sort(compareUtf8);
    return slicePage(names, limit, offset).map((name) => [name, this.entries.get(name)!.raw]);
  }
}
