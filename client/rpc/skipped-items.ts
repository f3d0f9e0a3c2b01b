import type { FlipperLogger } from '../../shared/logger';

/**
 * Flags of one `List` reply that did not parse: counted, and logged once per reply with the first
 * of them (one line per flag would let a server that sends millions flood the log and the CPU).
 */
export class SkippedItems {
  private count = 0;
  private firstName: string | undefined;
  private firstError: unknown;

  /** Counts one skipped flag; returns undefined, for the caller to return in its place. */
  add(name: string | undefined, error: unknown): undefined {
    if (this.count++ === 0) {
      this.firstName = name;
      this.firstError = error;
    }
    return undefined;
  }

  log(logger: FlipperLogger | undefined): void {
    if (this.count === 0) return;
    logger?.warn(
      { skipped: this.count, flag: this.firstName, err: this.firstError },
      this.count === 1
        ? 'skipping a flag from the server that does not parse'
        : `skipping ${this.count} flags from the server that do not parse`,
    );
  }
}
