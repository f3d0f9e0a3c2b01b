import type { FlipperLogger } from '../../shared/logger';

/** What a `StateChangeLog` writes: the warning when failures start, the line when they stop. */
export interface StateChangeMessages {
  /** Logged at `warn` when a failing spell starts (or its kind changes), e.g. `'Redis is unreachable'`. */
  failing: string;
  /** Logged at `info` when it ends, followed by the count, e.g. `'Redis is reachable again'`. */
  working: string;
  /** What the count counts, plural, e.g. `'failed calls'` (the default). */
  counted?: string;
  /** The level of the `failing` line. Default `'warn'`. */
  failingLevel?: 'warn' | 'error';
}

/**
 * Logs a condition once when it starts and once when it ends, not once per occurrence, as the
 * reliability notes ask: "Redis is unreachable", then after the outage "Redis is reachable again
 * after 37 failed calls". Every place that logs such a change (the backend call path, the RPC
 * connection, the cache's failing backend, the client's failing flags, the server's connection
 * limit, the Consul watch) uses this one class.
 *
 * A failure of another `kind` than the spell's logs again, so a flag failing for a new reason is
 * reported (the count then restarts); a kind already logged in this spell is not logged again, so
 * an outage whose calls fail two ways in turn (refused, then timed out) is not a line per turn.
 */
export class StateChangeLog {
  private failures = 0;
  private kind: string | undefined;
  /** The kinds logged in this spell (a few at most: a failure's kind is its error class). */
  private readonly logged = new Set<string>();

  constructor(
    private readonly logger: FlipperLogger | undefined,
    private readonly bindings: object,
    private readonly messages: StateChangeMessages,
  ) {}

  /** True between a failure and the next success. */
  get failing(): boolean {
    return this.kind !== undefined;
  }

  /** One failure; logged when it starts a failing spell or is of another `kind` than the spell's. */
  failed(fields: object = {}, kind = ''): void {
    if (this.kind === kind || (this.kind !== undefined && this.logged.has(kind))) {
      this.kind = kind;
      this.failures++;
      return;
    }
    this.kind = kind;
    this.failures = 1;
    if (this.logged.size < MAX_KINDS_PER_SPELL) this.logged.add(kind);
    this.logger?.[this.messages.failingLevel ?? 'warn']({ ...this.bindings, ...fields }, this.messages.failing);
  }

  /** One success; logged, with the number of failures since the spell began, when it ends one. */
  succeeded(fields: object = {}): void {
    if (this.kind === undefined) return;
    const failures = this.failures;
    this.kind = undefined;
    this.failures = 0;
    this.logged.clear();
    const counted = failures === 1 ? singular(this.messages.counted ?? 'failed calls') : this.messages.counted;
    this.logger?.info(
      { ...this.bindings, ...fields, failures },
      `${this.messages.working} after ${failures} ${counted ?? 'failed calls'}`,
    );
  }
}

/** Kinds remembered per spell; more are logged each time they come back (never a silent failure). */
const MAX_KINDS_PER_SPELL = 16;

function singular(plural: string): string {
  return plural.endsWith('s') ? plural.slice(0, -1) : plural;
}
