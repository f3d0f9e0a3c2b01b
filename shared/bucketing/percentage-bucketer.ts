import { Random, systemRandom } from '../clock';
import { Bucketer, BucketerJSON, BucketerTrace } from './bucketer';
import { AbstractPercentage, Percentage } from './percentage';

export interface PercentageBucketerOptions {
  /** The share of calls that are enabled. Default 100%. */
  percentage?: AbstractPercentage;
  /** Source of randomness in [0, 1). Default `Math.random`. */
  random?: Random;
}

/** Enables a random share of calls, drawn anew on every check. */
export class PercentageBucketer implements Bucketer {
  readonly type = 'PercentageBucketer';
  readonly percentage: AbstractPercentage;
  private readonly random: Random;

  constructor(options: PercentageBucketerOptions | AbstractPercentage = {}) {
    const opts: PercentageBucketerOptions = 'value' in options ? { percentage: options } : options;
    this.percentage = opts.percentage ?? new Percentage(1.0);
    this.random = opts.random ?? systemRandom;
  }

  check(_checks?: unknown, trace?: BucketerTrace): boolean {
    const percentage = this.percentage.value;
    const score = this.random();
    if (trace) {
      trace.score = score;
      trace.percentage = percentage;
    }
    // random() is in [0, 1): 0% is never on and 100% always on.
    return score < percentage;
  }

  toJSON(): BucketerJSON {
    return { type: 'PercentageBucketer', percentage: this.percentage.toJSON() };
  }
}
