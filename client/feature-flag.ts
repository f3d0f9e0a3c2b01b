import type { FeatureFlagClient } from './client';

/** The client methods a handle offers, each taking the flag name first. */
const FLAG_METHODS = [
  'isEnabled',
  'explain',
  'exists',
  'enable',
  'disable',
  'destroy',
  'setClientData',
  'getClientData',
  'getMeta',
  'addCondition',
  'setConditions',
  'setBucketer',
] as const;

type FlagMethod = (typeof FLAG_METHODS)[number];

/** A client method without its first argument (the flag name): what the handle passes for you. */
type WithoutName<F> = F extends (featureName: string, ...rest: infer Rest) => infer R ? (...args: Rest) => R : never;

/** The handle's methods: the client's, bound to one flag name, with the client's own signatures. */
export type FeatureFlagMethods = { [M in FlagMethod]: WithoutName<FeatureFlagClient[M]> };

// Its methods (FeatureFlagMethods) are declared by the interface of the same name below and defined
// on the prototype from FLAG_METHODS: the client's, with the name filled in, written once.
/** A handle on one flag by name. Making one does not touch the store; every call goes through the client. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class FeatureFlag {
  constructor(
    readonly name: string,
    private readonly client: FeatureFlagClient,
  ) {}

  static {
    for (const method of FLAG_METHODS) {
      Object.defineProperty(FeatureFlag.prototype, method, {
        value: function (this: FeatureFlag, ...args: unknown[]): unknown {
          const call = this.client[method] as (featureName: string, ...rest: unknown[]) => unknown;
          return call.call(this.client, this.name, ...args);
        },
        writable: true,
        configurable: true,
      });
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface FeatureFlag extends FeatureFlagMethods {}
