import {
  Condition,
  ConsistentHashPercentageBucketer,
  LinearRampPercentage,
  NoOpBucketer,
  Percentage,
  PercentageBucketer,
  type Bucketer,
} from '../../shared';

/** Conditions that use every operator between them (and plain equality): what a store must keep. */
export function everyOperatorConditions(): Condition[] {
  return [
    new Condition({ is_admin: true, age__gte: 18, age__lt: 65 }),
    new Condition({ score__gt: 1.5, score__lte: 9.5, plan__in: ['pro', 'team'], country__not_in: ['XX'] }),
    new Condition({ location__ne: 'city' }),
  ];
}

/** One bucketer of each kind, and each kind of percentage: what a store must keep. */
export function everyBucketer(): Bucketer[] {
  return [
    new NoOpBucketer(),
    new PercentageBucketer({ percentage: new Percentage(0.25) }),
    new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.5) }),
    new ConsistentHashPercentageBucketer({
      percentage: new LinearRampPercentage({
        initialValue: 0.1,
        finalValue: 0.9,
        rampDuration: 60,
        initialTime: 1_500_000_000,
      }),
    }),
  ];
}
