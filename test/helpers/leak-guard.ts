import { createHook } from 'node:async_hooks';

/** Counts of the resources keeping the process alive, by kind (`Timeout`, `TCPSocketWrap`, ...). */
type Counts = Map<string, number>;

/** How long closing sockets and servers get to finish before what is left counts as leaked. */
const GRACE_MS = 2000;
const POLL_MS = 10;

/** What is alive now; `ownTimers` are mocha's timers of the hook counting, left out. */
function counts(ownTimers = 0): Counts {
  const result: Counts = new Map();
  for (const kind of process.getActiveResourcesInfo()) result.set(kind, (result.get(kind) ?? 0) + 1);
  if (ownTimers > 0) result.set('Timeout', (result.get('Timeout') ?? 0) - ownTimers);
  return result;
}

/** The kinds of which `after` holds more than `before`, with how many more. */
function grown(before: Counts, after: Counts): Map<string, number> {
  const result = new Map<string, number>();
  for (const [kind, n] of after) {
    const extra = n - (before.get(kind) ?? 0);
    if (extra > 0) result.set(kind, extra);
  }
  return result;
}

function describeCounts(kinds: Map<string, number>): string {
  return [...kinds].map(([kind, n]) => `${n} ${kind}`).join(', ');
}

/**
 * With LEAK_TRACE=1, where each live timer, socket and server was made (async_hooks), so that a
 * failure can say which code left it; off by default, as it slows every async operation.
 */
const traced = new Map<number, { type: string; stack: string; resource: object }>();
if (process.env.LEAK_TRACE === '1') {
  Error.stackTraceLimit = 40;
  createHook({
    init(id, type, _trigger, resource) {
      if (type === 'Timeout' || type.startsWith('TCP') || type === 'PROCESSWRAP') {
        const frames = new Error()
          .stack!.split('\n')
          .filter((line) => line.includes(' at ') && (process.env.LEAK_TRACE_ALL === '1' || !line.includes('node:')));
        traced.set(id, { type, stack: frames.slice(0, 8).join('\n'), resource });
      }
    },
    destroy(id) {
      traced.delete(id);
    },
  }).enable();
}

/** A timer's delay and callback, or a socket's addresses: enough to recognise it. */
function describeResource(resource: object): string {
  const r = resource as { _idleTimeout?: number; _onTimeout?: () => void; localPort?: number; remotePort?: number };
  if (typeof r._onTimeout === 'function') return `(${r._idleTimeout} ms: ${String(r._onTimeout).slice(0, 160)})`;
  return '';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fails a top-level suite (in practice a test file) that leaves timers, sockets, servers or child
 * processes behind once its own `after` hooks have run: the resources alive then must be no more,
 * kind by kind, than when it started. Closing sockets get a grace period, so the check waits for
 * a close in progress rather than failing on it. The failure names the tests during which the
 * leaked kinds grew, so the culprit is found without bisecting.
 *
 * Counted from `process.getActiveResourcesInfo()`: what keeps the event loop alive (unref'ed
 * timers and sockets do not count, as they do not keep a process from exiting).
 */
class LeakGuard {
  private baseline: Counts = new Map();
  private atTestStart: Counts = new Map();
  private growth: { test: string; kinds: Map<string, number> }[] = [];
  private readonly installedRoots = new WeakSet<Mocha.Suite>();
  private readonly strictSuites = new WeakSet<Mocha.Suite>();

  /**
   * Adds the check after every top-level suite of the run; the baseline is the state now. Under
   * `--parallel` a worker process runs file after file, each under a root suite of its own, with this
   * module loaded once: each root is installed, so every file is checked, not only a worker's first.
   */
  install(root: Mocha.Suite): void {
    if (this.installedRoots.has(root)) return;
    this.installedRoots.add(root);
    this.baseline = counts();
    this.growth = [];
    const check = (suite: string) => this.check(suite);
    for (const suite of root.suites) {
      suite.afterAll('leaves no timer, socket or server behind', () => check(suite.fullTitle()));
    }
  }

  testStarts(): void {
    this.atTestStart = counts();
  }

  /** Marks a suite whose every test must itself give back what it took (see `checkEachTestForLeaks`). */
  checkEachTest(suite: Mocha.Suite): void {
    this.strictSuites.add(suite);
  }

  /** Records what the test left alive; in a strict suite, waits for it to go and fails the test if not. */
  testEnded(test: Mocha.Runnable): Promise<void> | void {
    const kinds = grown(this.atTestStart, counts());
    if (kinds.size === 0) return;
    this.growth.push({ test: test.fullTitle(), kinds });
    if (!this.isStrict(test)) return;
    return this.waitForLeaks(this.atTestStart).then((leaked) => {
      if (leaked.size > 0) throw new Error(`the test left behind ${this.describeLeak(leaked)}`);
    });
  }

  private isStrict(test: Mocha.Runnable): boolean {
    for (let suite = test.parent; suite; suite = suite.parent) if (this.strictSuites.has(suite)) return true;
    return false;
  }

  /**
   * What is still alive beyond `baseline` once the grace period is over (or nothing, as soon as
   * everything is back). Called from an async hook: mocha arms that hook's own timer once the
   * hook has returned its promise, one Timeout that is not the test's, counted from the first await.
   */
  private async waitForLeaks(baseline: Counts): Promise<Map<string, number>> {
    const own = 1;
    await sleep(0);
    const deadline = Date.now() + GRACE_MS;
    let leaked = grown(baseline, counts(own));
    while (leaked.size > 0 && Date.now() < deadline) {
      await sleep(POLL_MS);
      leaked = grown(baseline, counts(own));
    }
    return leaked;
  }

  private async check(suite: string): Promise<void> {
    const leaked = await this.waitForLeaks(this.baseline);
    const growth = this.growth;
    this.growth = [];
    // The next suite is measured from here, so one leak fails one suite, not every one after it.
    this.baseline = counts(1);
    if (leaked.size === 0) return;
    const suspects = growth
      .filter(({ kinds }) => [...kinds.keys()].some((kind) => leaked.has(kind)))
      .slice(0, 5)
      .map(({ test, kinds }) => `\n  grew during "${test}": ${describeCounts(kinds)}`);
    throw new Error(`"${suite}" left behind ${this.describeLeak(leaked)}${suspects.join('')}`);
  }

  private describeLeak(leaked: Map<string, number>): string {
    const origins =
      process.env.LEAK_TRACE === '1'
        ? [...traced.values()]
            .map(({ type, stack, resource }) => `\n  ${type} ${describeResource(resource)} made at\n${stack}`)
            .join('')
        : '\n  (LEAK_TRACE=1 shows where each live timer and socket was made)';
    return `${describeCounts(leaked)} (still there ${GRACE_MS} ms after its last hook)${origins}`;
  }
}

export const leakGuard = new LeakGuard();

/**
 * Call in a describe body (`checkEachTestForLeaks(this)`) whose tests each set up and tear down
 * their own timers, sockets and servers: every test there then fails on its own if it leaves one
 * behind, rather than the whole file at its end (where a leaked short timer may have fired already).
 */
export function checkEachTestForLeaks(suite: Mocha.Suite): void {
  leakGuard.checkEachTest(suite);
}
