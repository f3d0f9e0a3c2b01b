import { Bucketer, BucketerJSON } from './bucketer';

/** The default: every call is in the bucket. */
export class NoOpBucketer implements Bucketer {
  readonly type = 'NoOpBucketer';

  check(): boolean {
    return true;
  }

  toJSON(): BucketerJSON {
    return { type: 'NoOpBucketer' };
  }
}
