// unleash-client (a devDependency, used only here) as a baseline: its own evaluation of a toggle
// held in memory, bootstrapped, never fetching (refreshInterval 0) and counting no metrics.
import { InMemStorageProvider, Unleash } from 'unleash-client';

export interface UnleashBaseline {
  /** A toggle with the `default` strategy: on for everyone. */
  plain(): boolean;
  /** A toggle with `flexibleRollout` at 50%, sticky on `userId` (the default stickiness) (murmur3 of `groupId:userId`). */
  rollout(userId: string): boolean;
  stop(): void;
}

export async function startUnleash(): Promise<UnleashBaseline> {
  const unleash = new Unleash({
    appName: 'flipper-bench',
    url: 'http://127.0.0.1:9/api/', // never contacted: refreshInterval 0 fetches nothing
    refreshInterval: 0,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: {
      data: [
        { name: 'PLAIN', enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [] }] },
        {
          name: 'BUCKETED',
          enabled: true,
          strategies: [
            {
              name: 'flexibleRollout',
              parameters: { rollout: '50', stickiness: 'default', groupId: 'BUCKETED' },
              constraints: [],
            },
          ],
        },
      ],
    },
  });
  await new Promise<void>((resolve, reject) => {
    unleash.once('ready', () => resolve());
    unleash.once('error', reject);
  });
  unleash.on('error', () => {}); // nothing to report after start: it never fetches
  if (!unleash.isEnabled('PLAIN')) throw new Error('unleash-client did not load the bench toggles');
  return {
    plain: () => unleash.isEnabled('PLAIN'),
    rollout: (userId) => unleash.isEnabled('BUCKETED', { userId }),
    stop: () => unleash.destroy(),
  };
}
