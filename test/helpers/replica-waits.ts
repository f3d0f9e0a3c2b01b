import type { ThriftReplicaFeatureFlagStore } from '../../client';

/** Resolves with the names of the next `changed` event that includes `name` (rejects after `ms`). */
export function nextChange(replica: ThriftReplicaFeatureFlagStore, name: string, ms = 5000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      replica.events.off('changed', listener);
      reject(new Error(`no change of ${JSON.stringify(name)} within ${ms} ms`));
    }, ms);
    const listener = (names: string[]) => {
      if (!names.includes(name)) return;
      clearTimeout(timer);
      replica.events.off('changed', listener);
      resolve(names);
    };
    replica.events.on('changed', listener);
  });
}

/** Resolves once `predicate` holds, polling every 10 ms (rejects after `ms`, saying `what`). */
export async function until(predicate: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with the next emission of `event` (rejects after `ms`). */
export function nextEvent(
  replica: ThriftReplicaFeatureFlagStore,
  event: 'ready' | 'stale' | 'error' | 'reconnected',
  ms = 5000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      replica.events.off(event, listener);
      reject(new Error(`no ${event} event within ${ms} ms`));
    }, ms);
    const listener = (value?: unknown) => {
      clearTimeout(timer);
      replica.events.off(event, listener);
      resolve(value);
    };
    replica.events.on(event, listener);
  });
}
