import type { FeatureFlagStore } from '../stores/feature-flag-store';
import type { Capability, ConformanceContext, StoreConformanceOptions } from './options';

/** What the cases of one `describeStoreConformance` call share: the options, and the store of the case running. */
export interface SuiteScope<S extends FeatureFlagStore> {
  readonly name: string;
  readonly options: StoreConformanceOptions<S>;
  /** The store `makeStore` gave for the case running. */
  store: S;
  /** The context it was made with. */
  context: ConformanceContext;
}

/**
 * The option a capability is declared by; `invalidJson` needs `writeRaw`, and `atomicWrites`
 * `makeSecondStore`, and each is on unless said not to apply.
 */
const DECLARED_BY: Record<Capability, Exclude<Capability, 'invalidJson' | 'atomicWrites'>> = {
  writeRaw: 'writeRaw',
  invalidJson: 'writeRaw',
  readRaw: 'readRaw',
  makeNeighbour: 'makeNeighbour',
  makeSecondStore: 'makeSecondStore',
  atomicWrites: 'makeSecondStore',
  unreachableBackend: 'unreachableBackend',
  hangingBackend: 'hangingBackend',
};

/** Why a case needing these capabilities cannot run on this store, or undefined when it can. */
export function missingCapability<S extends FeatureFlagStore>(
  scope: Pick<SuiteScope<S>, 'name' | 'options'>,
  needs: readonly Capability[],
): string | undefined {
  for (const capability of needs) {
    const declaredBy = DECLARED_BY[capability];
    const reason = scope.options.notApplicable?.[capability] ?? scope.options.notApplicable?.[declaredBy];
    if (reason !== undefined) return `${scope.name}: ${reason}`;
    if (scope.options[declaredBy] === undefined) return `${scope.name} declares no ${declaredBy}`;
  }
  return undefined;
}

/**
 * Registers a case, or, when a capability it needs is missing, a skipped case whose title carries
 * the reason: mocha prints it, so a skip is never silent.
 */
export function caseNeeding<S extends FeatureFlagStore>(
  scope: Pick<SuiteScope<S>, 'name' | 'options'>,
  needs: readonly Capability[],
  title: string,
  body: (this: Mocha.Context) => Promise<void>,
): void {
  const reason = missingCapability(scope, needs);
  if (reason === undefined) it(title, body);
  else it.skip(`${title} (skipped: ${reason})`);
}
