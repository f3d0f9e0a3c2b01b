import { MemoryFeatureFlagStore } from '../../client';
import { StoreError, type FeatureFlagStoreItem, type FeatureFlagStoreMeta } from '../../shared';
import type { CreateOptions, MemoryFeatureFlagStoreOptions } from '../../client';

/**
 * A memory store a test can make fail, hang or pause, and that counts its calls. It never answers
 * from `peek`, so every read through it is a counted `get`.
 */
export class ControlledStore extends MemoryFeatureFlagStore {
  readonly calls = { get: 0, create: 0, set: 0, delete: 0, setMeta: 0, list: 0 };
  failReads = false;
  failWrites = false;
  /** Writes never settle while true, as a backend that accepted the connection and went silent. */
  hangWrites = false;
  /** While set, reads wait for it before answering (with what the store held when they started). */
  readGate?: Promise<void>;
  /** While set, writes wait for it before applying. */
  writeGate?: Promise<void>;

  constructor(options?: MemoryFeatureFlagStoreOptions) {
    super(options);
  }

  override peek(): undefined {
    return undefined;
  }

  override async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    this.calls.get++;
    if (this.failReads) throw new StoreError('backend down (reads)');
    const item = await super.get(featureName);
    if (this.readGate) await this.readGate;
    return item;
  }

  override async list(options?: { limit?: number; offset?: number }): Promise<FeatureFlagStoreItem[]> {
    this.calls.list++;
    if (this.failReads) throw new StoreError('backend down (reads)');
    return super.list(options);
  }

  override async create(featureName: string, options?: CreateOptions): Promise<FeatureFlagStoreItem> {
    this.calls.create++;
    await this.beforeWrite();
    return super.create(featureName, options);
  }

  override async set(featureName: string, isEnabled: boolean): Promise<void> {
    this.calls.set++;
    await this.beforeWrite();
    return super.set(featureName, isEnabled);
  }

  override async delete(featureName: string): Promise<void> {
    this.calls.delete++;
    await this.beforeWrite();
    return super.delete(featureName);
  }

  override async setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    this.calls.setMeta++;
    await this.beforeWrite();
    return super.setMeta(featureName, meta);
  }

  private async beforeWrite(): Promise<void> {
    if (this.failWrites) throw new StoreError('backend down (writes)');
    if (this.hangWrites) await new Promise<never>(() => {});
    if (this.writeGate) await this.writeGate;
  }
}

/** A promise and the function that resolves it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Resolves once `condition()` holds, polling every 5 ms; rejects after `ms`. */
export async function waitFor(condition: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The rejection of `promise`, or undefined when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
