import { expect } from 'chai';
import { ConnectionError, FeatureFlagStoreMeta, OutcomeUnknownError, TimeoutError } from '../../shared';
import { FeatureFlagClient } from '../client';
import type { FeatureFlagStore } from '../stores/feature-flag-store';
import type { FaultyBackend, FaultyEndpoint } from './options';
import { recordingLogger } from './recording-logger';
import { settleWithin, type Outcome } from './settle';
import { caseNeeding, type SuiteScope } from './suite-scope';
import { SilentServer, unusedPort } from './tcp-endpoints';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Every call of the contract, on one flag of a store whose backend fails, and whether it writes:
 * a write that may have reached the backend before its answer was lost may also (honestly) end
 * with `OutcomeUnknownError`.
 */
function everyCall(store: FeatureFlagStore): Array<[string, () => Promise<unknown>, boolean]> {
  return [
    ['get', () => store.get('f'), false],
    ['list', () => store.list(), false],
    ['create', () => store.create('f', { isEnabled: true }), true],
    ['set', () => store.set('f', true), true],
    ['setMeta', () => store.setMeta('f', new FeatureFlagStoreMeta({ createdDate: 0 })), true],
    ['delete', () => store.delete('f'), true],
  ];
}

/**
 * Makes the store, then checks every call rejects with one of `errors` within the bound, that
 * `isEnabled` gives the default, and (when declared) that the outage is logged once. Whatever
 * happens, the store is closed, the endpoint stopped (`stop`), then the store's leftovers released.
 */
async function expectEveryCallFails<S extends FeatureFlagStore>(
  fault: FaultyBackend<S>,
  endpoint: FaultyEndpoint,
  errors: readonly ErrorClass[],
  stop: () => Promise<void> = async () => {},
): Promise<void> {
  let store: S | undefined;
  let closed: Outcome | undefined;
  try {
    const logger = recordingLogger();
    store = await fault.makeStore(endpoint, { logger });
    // All at once, as an application's callers would be: each must fail on its own, in time.
    const calls = everyCall(store);
    const outcomes = await Promise.all(calls.map(([, call]) => settleWithin(call(), fault.withinMs)));
    for (const [i, outcome] of outcomes.entries()) {
      const [label, , writes] = calls[i];
      const allowed = writes ? [...errors, OutcomeUnknownError] : errors;
      const names = allowed.map((e) => e.name).join(' or ');
      expect(outcome.settled, `${label} settles within ${fault.withinMs} ms`).to.equal(true);
      expect(
        allowed.some((e) => outcome.error instanceof e),
        `${label} rejects with ${names}, got ${String(outcome.error)}`,
      ).to.equal(true);
    }
    const client = new FeatureFlagClient(store, { logger: recordingLogger() });
    const answer = await settleWithin(
      client.isEnabled('f', {}, { default: true }).then((value) => expect(value).to.equal(true)),
      fault.withinMs,
    );
    expect(answer, 'isEnabled gives the default, in time').to.deep.include({ settled: true, error: undefined });
    if (fault.logsOutageOnce) {
      expect(logger.at('warn'), 'one warning for the outage, not one per call').to.have.length(1);
    }
    closed = await settleWithin(store.close?.() ?? Promise.resolve(), fault.withinMs);
  } finally {
    // After a failed check the store may hang on close too: bounded, so the case reports its own failure.
    if (closed === undefined && store?.close) await settleWithin(store.close(), fault.withinMs);
    await stop();
    if (store !== undefined) await fault.release?.(store);
  }
  expect(closed, 'close() settles in time').to.deep.include({ settled: true, error: undefined });
}

/** A mocha timeout that lets every call use its whole bound, so the suite's own message is the one shown. */
const timeoutFor = (fault: { withinMs: number }) => fault.withinMs * 10 + 5000;

/** Backends that refuse connections or hang, reached through endpoints the suite makes on loopback. */
export function describeBackendFaultCases<S extends FeatureFlagStore>(
  scope: Pick<SuiteScope<S>, 'name' | 'options'>,
): void {
  const { unreachableBackend, hangingBackend } = scope.options;

  caseNeeding(
    scope,
    ['unreachableBackend'],
    'a backend that refuses connections: every call rejects with ConnectionError or TimeoutError (a write: or OutcomeUnknownError) in time; isEnabled gives the default',
    async function () {
      this.timeout(timeoutFor(unreachableBackend!));
      const endpoint = { host: '127.0.0.1', port: await unusedPort() };
      await expectEveryCallFails(unreachableBackend!, endpoint, [ConnectionError, TimeoutError]);
    },
  );

  caseNeeding(
    scope,
    ['hangingBackend'],
    'a backend that accepts and never answers: every call rejects with TimeoutError (a write: or OutcomeUnknownError) in time; isEnabled gives the default',
    async function () {
      this.timeout(timeoutFor(hangingBackend!));
      const server = await new SilentServer().start();
      const endpoint = { host: '127.0.0.1', port: server.port };
      await expectEveryCallFails(hangingBackend!, endpoint, [TimeoutError], () => server.close());
    },
  );
}
