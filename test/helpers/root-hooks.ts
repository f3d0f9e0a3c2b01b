// Fails the run on a rejection nobody handled: a store that leaves one behind is a bug.
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});

export const mochaHooks = {
  afterEach(this: Mocha.Context) {
    if (unhandled.length > 0) {
      const reasons = unhandled.splice(0);
      throw new Error(`unhandled rejection(s) during the test: ${reasons.map((r) => String(r)).join('; ')}`);
    }
  },
};
