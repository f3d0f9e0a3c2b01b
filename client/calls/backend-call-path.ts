import { FlipperError, TimeoutError } from '../../shared';
import type { FlipperLogger } from '../../shared/logger';
import type { Admission, AttemptGate } from './attempt-gate';
import { withAbortableDeadline } from './deadline';
import { socketErrorCode } from './drivers/node-socket';
import { isUnreachable, lostInFlight, typedError, type DriverDeclaration } from './driver-failure';
import { StateChangeLog, type StateChangeMessages } from './state-change-log';

/** What one store adds to its driver's declaration. */
export interface StoreDeclaration {
  /** What the calls work on, appended to the operation in messages: ` on "feature_flags"`. Default none. */
  target?: string;
  /** Fields naming the store in log lines: `{ store: 'redis', baseKey: 'features' }`. */
  bindings: Record<string, string>;
  /**
   * Deadline of each call in ms, and the option that sets it (named in the timeout message).
   * Absent for a synchronous driver (SQLite), whose calls cannot be abandoned.
   */
  deadline?: { ms: number; option: string };
  /** Why a call cannot even be sent now (for instance ioredis between reconnects), or undefined. */
  unsendable?: () => string | undefined;
  /** Where reachability changes are logged. Default: not logged. */
  logger?: FlipperLogger;
  /** The reachability log's lines, when the driver's do not fit this store. */
  messages?: StateChangeMessages;
  /**
   * Connection attempts at a bounded rate: after a call that could not connect
   * (`isConnectFailure`), calls fail fast with `ConnectionError` until the gate's backoff lets one
   * through. For drivers that connect on demand and have no backoff of their own (`pg`'s pool).
   */
  connectGate?: { gate: AttemptGate; isConnectFailure(error: unknown): boolean };
  /**
   * Replaces a connection that has stopped answering: after `afterTimeouts` calls in a row ended
   * by their deadline, `run` is called (a frozen TCP connection otherwise fails every call for
   * good while a new one would work).
   */
  reconnect?: { afterTimeouts: number; run(): void };
}

/** One call's own settings: a deadline other than the store's (the Consul watch's long polls). */
export interface CallOptions {
  deadlineMs?: number;
  /**
   * The call changes the backend: once `send` has been called, a lost answer (deadline passed,
   * connection broken in flight) is `OutcomeUnknownError`, never a plain failure. Calls that must
   * wait before sending (a connection being opened) wait in a call of their own first.
   */
  write?: boolean;
}

/**
 * The one path every backend call of every store takes:
 *   1. the "can we even send" check (`unsendable`), failing fast with `ConnectionError`;
 *   2. the deadline (`deadline.ms`; the work gets an `AbortSignal` that fires with it);
 *   3. the driver's classifier, turning any failure into `ConnectionError`, `TimeoutError` or
 *      `StoreError` with one message shape: "<name> <operation><target> failed: <detail>";
 *   4. the reachability log: one line when the backend becomes unreachable, one when it is back
 *      ("Redis is reachable again after 37 failed calls").
 *
 * Capabilities every backend needs are added HERE, once: "outcome unknown" errors for writes
 * whose answer was lost (a new `FailureKind`, told apart by the classifiers), conditional writes
 * (a `call` variant that maps the driver's "condition failed" answer), reconnect backoff (consult
 * the reachability state before step 1: `connectGate`) and forced reconnects after consecutive
 * timeouts (counted in step 3: `reconnect`). A driver declares its
 * name and classifier once (`drivers/`), a store what differs (`StoreDeclaration`); neither writes
 * its own try/catch, timer or log-once flag.
 */
export class BackendCallPath {
  /** Logs reachability changes; the Consul watch also reports its own failures here. */
  readonly reachability: StateChangeLog;
  private readonly target: string;
  /** Calls in a row that ended by their deadline (see `StoreDeclaration.reconnect`). */
  private timeoutsInARow = 0;

  constructor(
    private readonly driver: DriverDeclaration,
    private readonly store: StoreDeclaration,
  ) {
    this.target = store.target ?? '';
    this.reachability = new StateChangeLog(
      store.logger,
      store.bindings,
      store.messages ??
        driver.messages ?? { failing: `${driver.name} is unreachable`, working: `${driver.name} is reachable again` },
    );
  }

  /** Runs one call of the driver through the path. `send` is called at most once. */
  async call<T>(
    operation: string,
    send: (signal: AbortSignal | undefined) => Promise<T>,
    options?: CallOptions,
  ): Promise<T> {
    let sent = false;
    const gate = this.store.connectGate;
    let admission: Admission | undefined;
    try {
      const reason = this.store.unsendable?.();
      if (reason !== undefined) throw typedError('unreachable', this.failed(operation, reason), undefined);
      if (gate) {
        const admitted = gate.gate.admit();
        if (typeof admitted === 'string') throw typedError('unreachable', this.failed(operation, admitted), undefined);
        admission = admitted;
      }
      sent = options?.write === true;
      const deadline = this.store.deadline;
      const ms = options?.deadlineMs ?? deadline?.ms;
      const result =
        ms === undefined
          ? await send(undefined)
          : await withAbortableDeadline(ms, () => `${this.what(operation)} (${deadline?.option ?? 'timeout'})`, send);
      this.reachability.succeeded();
      this.timeoutsInARow = 0;
      if (admission) gate!.gate.ended(admission, 'reached');
      return result;
    } catch (error) {
      if (admission) gate!.gate.ended(admission, this.connectOutcome(error));
      this.countTimeout(error);
      throw this.reported(operation, sent ? this.unknownIfLost(operation, error) : error);
    }
  }

  /** What a failed call says about connecting, for the connect gate. */
  private connectOutcome(error: unknown): 'reached' | 'failed' | 'neither' {
    if (this.store.connectGate!.isConnectFailure(error)) return 'failed';
    if (error instanceof FlipperError) return 'neither';
    return this.driver.classify(error).kind === 'refused' ? 'reached' : 'neither';
  }

  /** Counts calls ended by their deadline; enough in a row replace the connection. */
  private countTimeout(error: unknown): void {
    const reconnect = this.store.reconnect;
    if (!reconnect) return;
    const timedOut =
      error instanceof TimeoutError ||
      (!(error instanceof FlipperError) && this.driver.classify(error).kind === 'timeout');
    if (!timedOut) {
      this.timeoutsInARow = 0;
      return;
    }
    if (++this.timeoutsInARow < reconnect.afterTimeouts) return;
    this.timeoutsInARow = 0;
    reconnect.run();
  }

  /** A sent write's failure that leaves its outcome unknown, as `OutcomeUnknownError`; others unchanged. */
  private unknownIfLost(operation: string, error: unknown): unknown {
    if (error instanceof TimeoutError) return typedError('unknown', error.message, error);
    if (error instanceof FlipperError) return error;
    const { kind, detail } = this.driver.classify(error);
    const lost = kind === 'timeout' || (kind === 'unreachable' && lostInFlight(socketErrorCode(error), detail));
    return lost ? typedError('unknown', this.failed(operation, detail), error) : error;
  }

  /** The same path for a synchronous driver (SQLite) and for set-up steps: no deadline. */
  run<T>(operation: string, body: () => T): T {
    try {
      const result = body();
      this.reachability.succeeded();
      return result;
    } catch (error) {
      throw this.reported(operation, error);
    }
  }

  /** The typed error for a failure of `operation`, without logging it. */
  typed(operation: string, error: unknown): FlipperError {
    if (error instanceof FlipperError) return error;
    const { kind, detail } = this.driver.classify(error);
    return typedError(kind, this.failed(operation, detail), error);
  }

  private reported(operation: string, error: unknown): FlipperError {
    const typed = this.typed(operation, error);
    if (isUnreachable(typed)) this.reachability.failed({ err: typed });
    return typed;
  }

  private what(operation: string): string {
    return `${this.driver.name} ${operation}${this.target}`;
  }

  private failed(operation: string, detail: string): string {
    return `${this.what(operation)} failed: ${detail}`;
  }
}
