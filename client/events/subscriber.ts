import type {
  BucketerEventArgs,
  ClientDataEventArgs,
  ConditionEventArgs,
  ConditionsEventArgs,
  CreateEventArgs,
  NoEventArgs,
} from './event-args';
import { EventType } from './event-type';

/**
 * Implement the methods for the events you care about and pass the object to
 * `client.events.registerSubscriber`. The methods here do nothing.
 */
export class FlipperEventSubscriber {
  /* eslint-disable @typescript-eslint/no-unused-vars */
  onPreCreate(featureName: string, args: CreateEventArgs): void {}
  onPostCreate(featureName: string, args: CreateEventArgs): void {}
  onPreEnable(featureName: string, args: NoEventArgs): void {}
  onPostEnable(featureName: string, args: NoEventArgs): void {}
  onPreDisable(featureName: string, args: NoEventArgs): void {}
  onPostDisable(featureName: string, args: NoEventArgs): void {}
  onPreDestroy(featureName: string, args: NoEventArgs): void {}
  onPostDestroy(featureName: string, args: NoEventArgs): void {}
  onPreAddCondition(featureName: string, args: ConditionEventArgs): void {}
  onPostAddCondition(featureName: string, args: ConditionEventArgs): void {}
  onPreSetConditions(featureName: string, args: ConditionsEventArgs): void {}
  onPostSetConditions(featureName: string, args: ConditionsEventArgs): void {}
  onPreSetClientData(featureName: string, args: ClientDataEventArgs): void {}
  onPostSetClientData(featureName: string, args: ClientDataEventArgs): void {}
  onPreSetBucketer(featureName: string, args: BucketerEventArgs): void {}
  onPostSetBucketer(featureName: string, args: BucketerEventArgs): void {}
  /* eslint-enable @typescript-eslint/no-unused-vars */
}

/** `post_set_client_data` -> `onPostSetClientData`. */
export function subscriberMethodName(type: EventType): keyof FlipperEventSubscriber {
  return ('on' + type.replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase())) as keyof FlipperEventSubscriber;
}
