import { FeatureFlagStoreItem, StoreError, deserializeItem } from '../../shared';
import { MemoryFeatureFlagStore } from '../../client';

/** A memory store whose reads can be made to fail or to return a stored item that does not parse. */
export class BrokenStore extends MemoryFeatureFlagStore {
  failReads = false;
  rawOverrides = new Map<string, string>();

  /** Never answers from memory, so every read goes through the failing `get`. */
  override peek(): undefined {
    return undefined;
  }

  override async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    if (this.failReads) throw new StoreError('backend down');
    const raw = this.rawOverrides.get(featureName);
    if (raw !== undefined) return deserializeItem(raw);
    return super.get(featureName);
  }
}

/** A logger that records what it is given. */
export function recordingLogger() {
  const lines: Array<{ level: string; obj: object; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
