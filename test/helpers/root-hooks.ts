import { leakGuard } from './leak-guard';

// Fails the run on a rejection nobody handled: a store that leaves one behind is a bug.
const unhandled: unknown[] = [];
const collectUnhandled = (reason: unknown) => void unhandled.push(reason);

/**
 * Listens for unhandled rejections, unless already listening. Under `--parallel` a mocha worker
 * loads these hooks once, runs file after file, and removes every 'unhandledRejection' listener
 * after each: listening again before each file keeps the check for the worker's next files.
 */
function listenForUnhandled(): void {
  if (process.listeners('unhandledRejection').includes(collectUnhandled)) return;
  process.on('unhandledRejection', collectUnhandled);
}
listenForUnhandled();

export const mochaHooks = {
  beforeAll(this: Mocha.Context) {
    listenForUnhandled();
    // Every top-level describe (in practice, a test file) must give back the timers, sockets and
    // servers it took: checked after its own `after` hooks, with a grace period for closing sockets.
    leakGuard.install(this.test!.parent!);
  },
  beforeEach(this: Mocha.Context) {
    leakGuard.testStarts();
  },
  afterEach(this: Mocha.Context): Promise<void> | void {
    if (unhandled.length > 0) {
      const reasons = unhandled.splice(0);
      throw new Error(`unhandled rejection(s) during the test: ${reasons.map((r) => String(r)).join('; ')}`);
    }
    // Runs after the suites' own afterEach hooks (mocha runs the root's last).
    return leakGuard.testEnded(this.currentTest!);
  },
};
