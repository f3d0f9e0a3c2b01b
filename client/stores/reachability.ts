import type { FlipperLogger } from '../logger';

/**
 * Logs a backend going unreachable and coming back, once per change rather than once per failed
 * call, as the reliability notes ask.
 */
export class Reachability {
  private reachable = true;

  constructor(
    private readonly logger: FlipperLogger | undefined,
    private readonly bindings: Record<string, string>,
    private readonly backend: string,
  ) {}

  /** A call reached the backend. */
  ok(): void {
    if (this.reachable) return;
    this.reachable = true;
    this.logger?.info(this.bindings, `${this.backend} is reachable again`);
  }

  /** A call could not reach the backend (refused, lost, or past its deadline). */
  failed(error: unknown): void {
    if (!this.reachable) return;
    this.reachable = false;
    this.logger?.warn({ ...this.bindings, err: error }, `${this.backend} is unreachable`);
  }
}
