import type { Bucketer, Checks, ClientData, Condition, FeatureFlagStoreMeta } from '../shared';
import type { FeatureFlagClient, IsEnabledOptions } from './client';
import type { Explanation } from './explanation';

/** A handle on one flag by name. Making one does not touch the store; every call goes through the client. */
export class FeatureFlag {
  constructor(
    readonly name: string,
    private readonly client: FeatureFlagClient,
  ) {}

  isEnabled(checks?: Checks, options?: IsEnabledOptions): Promise<boolean> {
    return this.client.isEnabled(this.name, checks, options);
  }

  explain(checks?: Checks, options?: IsEnabledOptions): Promise<Explanation> {
    return this.client.explain(this.name, checks, options);
  }

  exists(): Promise<boolean> {
    return this.client.exists(this.name);
  }

  enable(): Promise<void> {
    return this.client.enable(this.name);
  }

  disable(): Promise<void> {
    return this.client.disable(this.name);
  }

  destroy(): Promise<void> {
    return this.client.destroy(this.name);
  }

  setClientData(clientData: ClientData): Promise<void> {
    return this.client.setClientData(this.name, clientData);
  }

  getClientData(): Promise<ClientData> {
    return this.client.getClientData(this.name);
  }

  getMeta(): Promise<FeatureFlagStoreMeta> {
    return this.client.getMeta(this.name);
  }

  addCondition(condition: Condition): Promise<void> {
    return this.client.addCondition(this.name, condition);
  }

  setConditions(conditions: readonly Condition[]): Promise<void> {
    return this.client.setConditions(this.name, conditions);
  }

  setBucketer(bucketer: Bucketer): Promise<void> {
    return this.client.setBucketer(this.name, bucketer);
  }
}
