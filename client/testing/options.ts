import type { FeatureFlagStore } from '../stores/feature-flag-store';
import type { RecordingLogger } from './recording-logger';

/** What the suite hands to each store it asks for. */
export interface ConformanceContext {
  /**
   * Records what it is given. Pass it to the store (or, under a wrapper or a server, to the store
   * that logs): the suite reads it to check that skipped items and outages are logged.
   */
  logger: RecordingLogger;
}

/** A loopback endpoint the suite made: it refuses connections, or accepts them and never answers. */
export interface FaultyEndpoint {
  host: string;
  port: number;
}

/** How to point the store at a backend that fails (a capability; see `StoreConformanceOptions`). */
export interface FaultyBackend<S extends FeatureFlagStore> {
  /** A store whose backend is at `endpoint`, with a deadline short enough to meet `withinMs`. */
  makeStore(endpoint: FaultyEndpoint, context: ConformanceContext): Promise<S> | S;
  /** Every call must settle within this many milliseconds. */
  withinMs: number;
  /**
   * The store reports outages through its logger: the suite then expects exactly one warning,
   * however many calls failed (log once per state change, not once per call).
   */
  logsOutageOnce?: boolean;
  /** Releases what `makeStore` made and the store's `close()` leaves open (a driver client the test owns). */
  release?(store: S): Promise<void> | void;
}

/** The optional capabilities a store's test can declare; each names the cases that need it. */
export type Capability =
  | 'writeRaw'
  | 'invalidJson'
  | 'readRaw'
  | 'makeNeighbour'
  | 'makeSecondStore'
  | 'atomicWrites'
  | 'unreachableBackend'
  | 'hangingBackend';

/**
 * What the suite is told about a store. `S` is the type `makeStore` returns, so the other
 * functions can use what the store exposes (a key prefix, a table name).
 */
export interface StoreConformanceOptions<S extends FeatureFlagStore = FeatureFlagStore> {
  /** A new, empty store; called before each case. */
  makeStore(context: ConformanceContext): Promise<S> | S;
  /** Called after each case with the store it used (then the suite calls `store.close()`). */
  cleanup?(store: NoInfer<S>): Promise<void> | void;

  /**
   * Writes text straight into the backend under a flag's name, as another program (the Python
   * library) would. Runs the cases on Python's JSON and, unless `notApplicable.invalidJson` says
   * why not, on stored text that does not parse.
   */
  writeRaw?(store: NoInfer<S>, featureName: string, text: string): Promise<void>;
  /** The text the backend holds for a flag, as another program would read it; undefined when none. */
  readRaw?(store: NoInfer<S>, featureName: string): Promise<string | Buffer | undefined>;
  /** A store on the same backend under another prefix, table or bucket: it must never see this one's flags. */
  makeNeighbour?(context: ConformanceContext): Promise<NoInfer<S>> | NoInfer<S>;
  /**
   * Another store instance on the same backend as `store` (another connection, process-like):
   * writes through either are seen at once by the other. The suite closes it; `cleanup` clears
   * the backend through the first store.
   */
  makeSecondStore?(store: NoInfer<S>, context: ConformanceContext): Promise<NoInfer<S>> | NoInfer<S>;
  // With `makeSecondStore`, the concurrent-writer cases run too (capability `atomicWrites`): writes
  // racing through the two stores never lose or resurrect each other's effects. Say in
  // `notApplicable.atomicWrites` why not, for a backend without a conditional write.
  /** A backend that refuses connections: calls reject with `ConnectionError` or `TimeoutError` within `withinMs`. */
  unreachableBackend?: FaultyBackend<NoInfer<S>>;
  /** A backend that accepts connections and never answers: calls reject with `TimeoutError` within `withinMs`. */
  hangingBackend?: FaultyBackend<NoInfer<S>>;

  /**
   * Why a capability does not apply to this store. The cases that need it are registered as
   * skipped with this reason in their title; without one, the title says the store declares none.
   */
  notApplicable?: Partial<Record<Capability, string>>;
}
