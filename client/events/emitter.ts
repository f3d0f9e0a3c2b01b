import { EventEmitter } from 'node:events';
import type { EventArgsMap, FlipperEventListener } from './event-args';
import { EventType } from './event-type';
import { FlipperEventSubscriber, subscriberMethodName } from './subscriber';

/** What a custom emitter assigned to `client.events` must do. */
export interface IEventEmitter {
  on<E extends EventType>(type: E, listener: FlipperEventListener<E>): this;
  once<E extends EventType>(type: E, listener: FlipperEventListener<E>): this;
  off<E extends EventType>(type: E, listener: FlipperEventListener<E>): this;
  emit<E extends EventType>(type: E, featureName: string, args: EventArgsMap[E]): boolean;
  registerSubscriber(subscriber: FlipperEventSubscriber): void;
  removeSubscriber(subscriber: FlipperEventSubscriber): void;
}

type AnyListener = (featureName: string, args: object) => void;

/**
 * The default emitter: Node's `EventEmitter` plus subscribers. Listeners run synchronously in
 * order; one that throws in a `PRE_` event stops the change (the store is not touched).
 */
export class FlipperEventEmitter extends EventEmitter implements IEventEmitter {
  private readonly subscriptions = new Map<FlipperEventSubscriber, Array<[EventType, AnyListener]>>();

  override on<E extends EventType>(type: E, listener: FlipperEventListener<E>): this {
    return super.on(type, listener);
  }

  override once<E extends EventType>(type: E, listener: FlipperEventListener<E>): this {
    return super.once(type, listener);
  }

  override off<E extends EventType>(type: E, listener: FlipperEventListener<E>): this {
    return super.off(type, listener);
  }

  override emit<E extends EventType>(type: E, featureName: string, args: EventArgsMap[E]): boolean {
    return super.emit(type, featureName, args);
  }

  /** Calls `subscriber.onPostCreate(...)` and so on for every event, until removed. */
  registerSubscriber(subscriber: FlipperEventSubscriber): void {
    if (this.subscriptions.has(subscriber)) return;
    const listeners: Array<[EventType, AnyListener]> = [];
    for (const type of Object.values(EventType)) {
      const method = (subscriber as unknown as Record<string, unknown>)[subscriberMethodName(type)];
      if (typeof method !== 'function') continue;
      const listener: AnyListener = (name, args) => (method as AnyListener).call(subscriber, name, args);
      super.on(type, listener);
      listeners.push([type, listener]);
    }
    this.subscriptions.set(subscriber, listeners);
  }

  removeSubscriber(subscriber: FlipperEventSubscriber): void {
    for (const [type, listener] of this.subscriptions.get(subscriber) ?? []) super.off(type, listener);
    this.subscriptions.delete(subscriber);
  }
}
