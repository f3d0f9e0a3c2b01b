import type { FeatureFlagStore } from '../stores/feature-flag-store';
import { describeBackendFaultCases } from './backend-fault-cases';
import { describeConcurrentWriterCases, describeUpdateCases } from './concurrent-writer-cases';
import { describeContractCases } from './contract-cases';
import { describeLimitCases } from './limit-cases';
import type { StoreConformanceOptions } from './options';
import { recordingLogger } from './recording-logger';
import { describeSharedBackendCases } from './shared-backend-cases';
import { describeStoredTextCases } from './stored-text-cases';
import type { SuiteScope } from './suite-scope';

/**
 * The store contract (`FeatureFlagStore`'s doc comments), as mocha cases, for one store. Call it at
 * the top level of a mocha spec file: it registers the cases with mocha's `describe` and `it`
 * globals and checks with chai. Each optional capability the options declare adds its cases; a
 * case whose capability is missing is registered as skipped with the reason in its title.
 */
export function describeStoreConformance<S extends FeatureFlagStore>(
  name: string,
  options: StoreConformanceOptions<S>,
): void {
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new Error('describeStoreConformance registers mocha cases: call it in a spec file that mocha runs');
  }
  describe(`store conformance: ${name}`, function () {
    const scope = { name, options } as SuiteScope<S>;

    describe('on a fresh store per case', function () {
      beforeEach(async function () {
        scope.context = { logger: recordingLogger() };
        scope.store = await options.makeStore(scope.context);
      });

      afterEach(async function () {
        const store = scope.store;
        if (store === undefined) return;
        scope.store = undefined as unknown as S;
        try {
          await options.cleanup?.(store);
        } finally {
          await store.close?.();
        }
      });

      describeContractCases(scope);
      describeStoredTextCases(scope);
      describeLimitCases(scope);
      describeSharedBackendCases(scope);
      describeUpdateCases(scope);
      describeConcurrentWriterCases(scope);
    });

    describe('on a backend that fails', function () {
      describeBackendFaultCases(scope);
    });
  });
}
