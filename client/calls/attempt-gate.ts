import { Backoff, type BackoffOptions } from './backoff';

/** A call let through by an `AttemptGate`: whether it is the one probe of a failing backend. */
export interface Admission {
  probe: boolean;
}

/**
 * Lets calls through to a backend whose connection attempts keep failing at a bounded rate: after
 * a failed attempt, calls fail fast until the backoff's delay has passed, then one call goes
 * through as a probe (the others still fail fast) and its outcome decides what happens next. A
 * pool that opens a connection per waiting call (`pg`) would otherwise try hundreds of
 * connections a second during an outage.
 */
export class AttemptGate {
  private readonly backoff: Backoff;
  private probing = false;

  constructor(options: BackoffOptions = {}) {
    this.backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 2000, ...options });
  }

  /** Connection attempts failed in a row so far. */
  get failuresInARow(): number {
    return this.backoff.failuresInARow;
  }

  /**
   * An admission when a call may go ahead (it then reports with `ended`); otherwise a string
   * saying why it may not.
   */
  admit(now = Date.now()): Admission | string {
    if (this.backoff.failuresInARow === 0) return { probe: false };
    const wait = this.backoff.waitMs(now);
    if (wait === 0 && !this.probing) {
      this.probing = true;
      return { probe: true };
    }
    return (
      `${this.backoff.failuresInARow} connection attempts failed in a row; ` +
      (wait > 0 ? `the next one in ${Math.ceil(wait)} ms` : 'one is under way')
    );
  }

  /**
   * How an admitted call ended: it reached the backend (`reached`), could not connect
   * (`failed`: the next attempt waits longer), or says nothing about connecting (`neither`).
   */
  ended(admission: Admission, outcome: 'reached' | 'failed' | 'neither', now = Date.now()): void {
    if (admission.probe) this.probing = false;
    if (outcome === 'reached') this.backoff.succeeded();
    // Calls that failed together count once: a burst of them is one failed attempt, not many.
    else if (outcome === 'failed' && (admission.probe || this.backoff.waitMs(now) === 0)) this.backoff.failed(now);
  }
}
