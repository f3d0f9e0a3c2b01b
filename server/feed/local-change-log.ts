import { randomUUID } from 'node:crypto';
import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import type { FeatureFlagStoreItem } from '../../shared';
import { itemRevision } from '../../shared/model/item-revision';
import type { ChangeLog, ChangeSignal, ChangesSince } from './change-log';

/** A source of "something may have changed" hints besides the server's own writes. */
export interface ChangeHint {
  start(onSignal: ChangeSignal): void;
  close(): void;
}

interface Known {
  version: number;
  /** The revision last versioned; null once deleted. */
  revision: string | null;
}

/**
 * Versions kept by the server itself, for stores that have no place for them (memory) or whose
 * other writers give no per-flag signal (SQLite: `PRAGMA data_version` only says "something").
 * The store id is new with every server process, so a replica of a restarted server, or of another
 * one, is told to take a snapshot: it never continues a sequence it did not follow. A change is
 * found by comparing each flag's revision with the one last versioned.
 */
export class LocalChangeLog implements ChangeLog {
  readonly storeId = randomUUID();
  private head = 0;
  private readonly known = new Map<string, Known>();
  private recording: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: FeatureFlagStore,
    private readonly hints: readonly ChangeHint[] = [],
  ) {}

  async start(onSignal: ChangeSignal): Promise<void> {
    for (const hint of this.hints) hint.start(onSignal);
  }

  /** Recordings run one at a time, so two never give one change two versions. */
  record(names: readonly string[] | 'all'): Promise<void> {
    const run = this.recording.then(() => this.recordNow(names));
    this.recording = run.catch(() => undefined);
    return run;
  }

  private async recordNow(names: readonly string[] | 'all'): Promise<void> {
    if (names === 'all') {
      const items = await this.store.list();
      const seen = new Set<string>();
      for (const item of items) {
        seen.add(item.featureName);
        this.note(item.featureName, item);
      }
      for (const [name, known] of this.known)
        if (!seen.has(name) && known.revision !== null) this.note(name, undefined);
      return;
    }
    const items = await Promise.all(names.map((name) => this.store.get(name).catch(() => null)));
    // A flag that could not be read (store error, bad stored JSON) is left as it was versioned.
    names.forEach((name, i) => items[i] !== null && this.note(name, items[i]));
  }

  private note(name: string, item: FeatureFlagStoreItem | undefined): void {
    const revision = item === undefined ? null : itemRevision(item);
    const known = this.known.get(name);
    if (known === undefined ? revision === null : known.revision === revision) return;
    this.known.set(name, { version: ++this.head, revision });
  }

  async changesSince(version: number): Promise<ChangesSince> {
    const changes = [];
    for (const [name, known] of this.known) if (known.version > version) changes.push({ name, version: known.version });
    return { storeId: this.storeId, head: this.head, changes };
  }

  async close(): Promise<void> {
    for (const hint of this.hints) hint.close();
  }
}

/** Hints at a fixed interval: the periodic full resync (`--resync-interval`). */
export class PeriodicHint implements ChangeHint {
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly intervalMs: number) {}
  start(onSignal: ChangeSignal): void {
    this.timer = setInterval(() => onSignal(), this.intervalMs);
    this.timer.unref();
  }
  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * Polls SQLite's `PRAGMA data_version`, which changes when another connection (another process, or
 * another store object on the same file) commits: the cheap way to see writes made outside this
 * server. Our own connection's writes do not change it; the server notes those itself.
 */
export class DataVersionHint implements ChangeHint {
  private timer: NodeJS.Timeout | undefined;
  private last: unknown;
  constructor(
    private readonly read: () => unknown,
    private readonly intervalMs = 100,
  ) {}
  start(onSignal: ChangeSignal): void {
    this.last = this.safeRead();
    this.timer = setInterval(() => {
      const now = this.safeRead();
      if (now === this.last) return;
      this.last = now;
      onSignal();
    }, this.intervalMs);
    this.timer.unref();
  }
  close(): void {
    clearInterval(this.timer);
  }
  private safeRead(): unknown {
    try {
      return this.read();
    } catch {
      return this.last;
    }
  }
}
