import type { Bucketer, ClientData, Condition } from '../../shared';
import { EventType } from './event-type';

export interface CreateEventArgs {
  isEnabled: boolean;
  clientData: ClientData | undefined;
}
export interface ConditionEventArgs {
  condition: Condition;
}
export interface ConditionsEventArgs {
  conditions: readonly Condition[];
}
export interface ClientDataEventArgs {
  clientData: ClientData;
}
export interface BucketerEventArgs {
  bucketer: Bucketer;
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type NoEventArgs = {};

/** The second argument each event's listeners receive, after the flag name. */
export interface EventArgsMap {
  [EventType.PRE_CREATE]: CreateEventArgs;
  [EventType.POST_CREATE]: CreateEventArgs;
  [EventType.PRE_ENABLE]: NoEventArgs;
  [EventType.POST_ENABLE]: NoEventArgs;
  [EventType.PRE_DISABLE]: NoEventArgs;
  [EventType.POST_DISABLE]: NoEventArgs;
  [EventType.PRE_DESTROY]: NoEventArgs;
  [EventType.POST_DESTROY]: NoEventArgs;
  [EventType.PRE_ADD_CONDITION]: ConditionEventArgs;
  [EventType.POST_ADD_CONDITION]: ConditionEventArgs;
  [EventType.PRE_SET_CONDITIONS]: ConditionsEventArgs;
  [EventType.POST_SET_CONDITIONS]: ConditionsEventArgs;
  [EventType.PRE_SET_CLIENT_DATA]: ClientDataEventArgs;
  [EventType.POST_SET_CLIENT_DATA]: ClientDataEventArgs;
  [EventType.PRE_SET_BUCKETER]: BucketerEventArgs;
  [EventType.POST_SET_BUCKETER]: BucketerEventArgs;
}

export type FlipperEventListener<E extends EventType> = (featureName: string, args: EventArgsMap[E]) => void;
