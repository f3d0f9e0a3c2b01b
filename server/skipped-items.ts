import type { FlipperLogger } from '../shared/logger';

/** Flags remembered at most; past it the oldest is forgotten (and logged again if still skipped). */
const REMEMBERED = 10_000;

/**
 * Logs a flag a `List` reply had to leave out (it cannot be encoded for the wire) once per change,
 * not once per call: again only when the reason changes, or after the flag was sent in between.
 */
export class SkippedItemsLog {
  /** Flag name -> the reason last logged (a Map: names are untrusted keys). */
  private readonly reasons = new Map<string, string>();

  constructor(private readonly logger: FlipperLogger) {}

  skipped(name: string, reason: string): void {
    if (this.reasons.get(name) === reason) return;
    this.reasons.delete(name);
    if (this.reasons.size >= REMEMBERED) this.reasons.delete(this.reasons.keys().next().value!);
    this.reasons.set(name, reason);
    this.logger.warn({ flag: name.slice(0, 300), error: reason }, 'List left out a stored flag it cannot send');
  }

  /** The flag was sent: a later failure is a change worth a line. */
  sent(name: string): void {
    if (this.reasons.size > 0) this.reasons.delete(name);
  }
}
