import {
  ConsistentHashPercentageBucketer,
  LinearRampPercentage,
  NoOpBucketer,
  Percentage,
  PercentageBucketer,
  type AbstractPercentage,
  type Bucketer,
} from '../../shared';
import { UsageError } from './errors';
import { parseDuration, parseFraction } from './values';

export interface BucketerArgs {
  keys?: string;
  consistent?: boolean;
  from?: string;
  to?: string;
  over?: string;
}

export const BUCKETER_KINDS = ['percentage', 'consistent', 'ramp', 'none'] as const;

/**
 * `set-bucketer NAME KIND [VALUE]`: `percentage 0.25` (a random quarter of calls), `consistent 0.25
 * --keys user_id` (the same quarter of users every time), `ramp --from 0 --to 1 --over 2h` (a
 * percentage growing from now; consistent with `--keys` or `--consistent`), `none`.
 */
export function bucketerFromArgs(kind: string, value: string | undefined, args: BucketerArgs, now: number): Bucketer {
  const keyWhitelist = args.keys === undefined ? [] : args.keys.split(',').filter((k) => k !== '');
  const needsValue = (): number => {
    if (value === undefined) throw new UsageError(`${kind} needs a fraction, like: set-bucketer NAME ${kind} 0.25`);
    return parseFraction(value, `the ${kind} value`);
  };
  const noValue = () => {
    if (value !== undefined) throw new UsageError(`${kind} takes no value, got ${JSON.stringify(value)}`);
  };
  switch (kind) {
    case 'none':
      noValue();
      return new NoOpBucketer();
    case 'percentage':
      if (args.keys !== undefined) throw new UsageError('--keys is for consistent (or ramp), not percentage');
      return new PercentageBucketer({ percentage: new Percentage(needsValue()) });
    case 'consistent':
      return new ConsistentHashPercentageBucketer({ percentage: new Percentage(needsValue()), keyWhitelist });
    case 'ramp': {
      noValue();
      if (args.over === undefined) throw new UsageError('ramp needs --over, like: --from 0 --to 1 --over 2h');
      const percentage: AbstractPercentage = new LinearRampPercentage({
        initialValue: parseFraction(args.from ?? '0', '--from'),
        finalValue: parseFraction(args.to ?? '1', '--to'),
        rampDuration: parseDuration(args.over, '--over'),
        initialTime: Math.floor(now),
      });
      return args.consistent || args.keys !== undefined
        ? new ConsistentHashPercentageBucketer({ percentage, keyWhitelist })
        : new PercentageBucketer({ percentage });
    }
    default:
      throw new UsageError(`unknown bucketer ${JSON.stringify(kind)}: one of ${BUCKETER_KINDS.join(', ')}`);
  }
}
