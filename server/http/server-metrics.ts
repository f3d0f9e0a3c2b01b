import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import type { FlipperLogger } from '../../shared/logger';
import { errorToThrift, thriftTypes, type ThriftException } from '../../shared/thrift/mapping';
import type { Result } from '../../shared/thrift/processor';
import { send, type HttpListener } from './http-listener';

/** Store methods that are timed (`peek` is a memory read on the hot path: not timed). */
const TIMED_STORE_METHODS = new Set(['create', 'get', 'set', 'delete', 'list', 'setMeta', 'update']);

/** How often at most the flags are counted for `flipper_flags` (a scrape may come every few seconds). */
const FLAG_COUNT_EVERY_MS = 15_000;

const SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The flag server's Prometheus metrics, on a registry of its own (two servers in one process do
 * not mix). Created only when an HTTP port is asked for: without it the server runs without the
 * wrappers below, so metrics cost nothing unless they are on.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'method'>;
  private readonly callErrors: Counter<'method' | 'code'>;
  private readonly callSeconds: Histogram<'method'>;
  private readonly storeSeconds: Histogram<'method'>;
  private readonly storeErrors: Counter<'method'>;
  private flagCount: { value: number; at: number } | undefined;
  private waitingPollers: () => number = () => 0;

  constructor(
    private readonly store: FeatureFlagStore,
    private readonly logger: FlipperLogger,
    openConnections: () => number,
    private readonly now: () => number = () => performance.now(),
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.calls = new Counter({
      name: 'flipper_rpc_calls_total',
      help: 'Thrift calls answered, by method',
      labelNames: ['method'],
      registers,
    });
    this.callErrors = new Counter({
      name: 'flipper_rpc_errors_total',
      help: 'Thrift calls answered with a FlipperException, by method and error code',
      labelNames: ['method', 'code'],
      registers,
    });
    this.callSeconds = new Histogram({
      name: 'flipper_rpc_duration_seconds',
      help: 'Time from a call being read to its answer, by method',
      labelNames: ['method'],
      buckets: SECONDS,
      registers,
    });
    this.storeSeconds = new Histogram({
      name: 'flipper_store_duration_seconds',
      help: 'Time the store took per call, by store method',
      labelNames: ['method'],
      buckets: SECONDS,
      registers,
    });
    this.storeErrors = new Counter({
      name: 'flipper_store_errors_total',
      help: 'Store calls that failed, by store method',
      labelNames: ['method'],
      registers,
    });
    new Gauge({
      name: 'flipper_open_connections',
      help: 'Thrift connections open now',
      registers,
      collect() {
        this.set(openConnections());
      },
    });
    // `collect` runs with the gauge as `this`: the metrics' own state is reached through these.
    const waiting = () => this.waitingPollers();
    const countFlags = () => this.countFlags();
    new Gauge({
      name: 'flipper_change_feed_waiting_pollers',
      help: 'Change-feed calls waiting for a change',
      registers,
      collect() {
        this.set(waiting());
      },
    });
    new Gauge({
      name: 'flipper_flags',
      help: 'Flags in the store (counted at most every 15 s)',
      registers,
      async collect() {
        const count = await countFlags();
        if (count !== undefined) this.set(count);
      },
    });
  }

  /** The change feed (issue #13) tells how many of its calls wait for a change. */
  countWaitingPollers(source: () => number): void {
    this.waitingPollers = source;
  }

  /**
   * The service handler with every method counted and timed, from the call to its answer. A
   * wrapper keeps each method's arity: the generated processor picks the callback style by it.
   */
  instrumentHandler<H extends object>(handler: H): H {
    // What is wrapped; everything else is the handler's own, called on the handler itself.
    const wrapped = new Map<string | symbol, unknown>();
    const codes = new Map<number, string>(
      Object.entries(thriftTypes().ErrorCode).map(([name, n]) => [n as number, name]),
    );
    for (const method of serviceMethods(handler)) {
      const original = (handler as Record<string, unknown>)[method] as (...args: unknown[]) => void;
      const timed = (...args: unknown[]): void => {
        const start = this.now();
        const result = args[args.length - 1] as Result<unknown>;
        args[args.length - 1] = (error: ThriftException | null, value?: unknown) => {
          this.calls.inc({ method });
          this.callSeconds.observe({ method }, (this.now() - start) / 1000);
          if (error !== null) this.callErrors.inc({ method, code: codes.get(error.code ?? -1) ?? 'UNKNOWN' });
          result(error, value);
        };
        original.apply(handler, args);
      };
      Object.defineProperty(timed, 'length', { value: original.length });
      wrapped.set(method, timed);
    }
    this.instrumentLists(handler, wrapped, codes);
    const bound = new Map<string | symbol, unknown>();
    return new Proxy(handler, {
      get(target, property) {
        if (wrapped.has(property)) return wrapped.get(property);
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        if (!bound.has(property)) bound.set(property, (value as (...a: unknown[]) => unknown).bind(target));
        return bound.get(property);
      },
    });
  }

  /**
   * `List` and `ListPage` are answered by the list processor, which tells the handler when one
   * starts (`listItems`, `listPageItems`) and ends (`listed`, `listFailed`). Calls and errors are
   * exact; a duration pairs each end with the oldest start of its method, so it is approximate
   * when calls of one method overlap.
   */
  private instrumentLists(handler: object, wrapped: Map<string | symbol, unknown>, codes: Map<number, string>): void {
    const h = handler as Record<string, unknown>;
    if (typeof h.listed !== 'function' || typeof h.listFailed !== 'function') return;
    const starts = new Map<string, number[]>([
      ['List', []],
      ['ListPage', []],
    ]);
    const started = (method: string) => starts.get(method)?.push(this.now());
    const ended = (method: string) => {
      this.calls.inc({ method });
      const start = starts.get(method)?.shift();
      if (start !== undefined) this.callSeconds.observe({ method }, (this.now() - start) / 1000);
    };
    const pass = (name: string, before: (args: unknown[]) => void) => {
      const original = h[name] as (...args: unknown[]) => unknown;
      wrapped.set(name, (...args: unknown[]) => {
        before(args);
        return original.apply(handler, args);
      });
    };
    pass('listItems', () => started('List'));
    pass('listPageItems', () => started('ListPage'));
    pass('listed', (args) => ended(String(args[0])));
    pass('listFailed', (args) => {
      const method = String(args[0]);
      ended(method);
      const code = errorToThrift(args[1]).code;
      this.callErrors.inc({ method, code: codes.get(code ?? -1) ?? 'UNKNOWN' });
    });
  }

  /**
   * The store with its calls timed and failures counted. A proxy: methods it does not time (and
   * ones added later) pass through untouched.
   */
  instrumentStore<S extends FeatureFlagStore>(store: S): S {
    const timers = new Map<string | symbol, unknown>();
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || !TIMED_STORE_METHODS.has(property) || typeof value !== 'function') {
          return value;
        }
        let timed = timers.get(property);
        if (timed === undefined) {
          timed = (...args: unknown[]) =>
            this.timeStoreCall(property, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
          timers.set(property, timed);
        }
        return timed;
      },
    });
  }

  /** Adds `GET /metrics` to a listener. */
  addRoute(listener: HttpListener): void {
    listener.get('/metrics', async (_request, response) => {
      send(response, 200, await this.registry.metrics(), this.registry.contentType);
    });
  }

  private async timeStoreCall<T>(method: string, call: () => Promise<T>): Promise<T> {
    const start = this.now();
    try {
      return await call();
    } catch (error) {
      this.storeErrors.inc({ method });
      throw error;
    } finally {
      this.storeSeconds.observe({ method }, (this.now() - start) / 1000);
    }
  }

  private async countFlags(): Promise<number | undefined> {
    const now = this.now();
    if (this.flagCount !== undefined && now - this.flagCount.at < FLAG_COUNT_EVERY_MS) return this.flagCount.value;
    try {
      const value = (await this.store.list()).length;
      this.flagCount = { value, at: now };
      return value;
    } catch (err) {
      this.logger.warn({ err }, 'metrics: could not count the flags');
      return this.flagCount?.value;
    }
  }
}

/** The service methods a handler answers: its class's own methods named as Thrift methods (capitalised). */
function serviceMethods(handler: object): string[] {
  const names = new Set<string>();
  for (
    let proto = Object.getPrototypeOf(handler) as object | null;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (/^[A-Z]/.test(name) && typeof (handler as Record<string, unknown>)[name] === 'function') names.add(name);
    }
  }
  return [...names];
}
