import { EventEmitter } from 'node:events';

/** How a replica's data stands (`ready()` and the `ready` event). */
export type ReplicaStatus =
  /** From the server (a snapshot, then its change feed). */
  | 'fresh'
  /** From the data the application passed (`bootstrap`); the server was not reached yet. */
  | 'bootstrap'
  /** From the last snapshot on disk (`snapshotFile`), or from the server that is now unreachable. */
  | 'stale'
  /** Nothing: every check gives its default. */
  | 'defaults';

/** The events of a replica, and their arguments. */
export interface ReplicaEventMap {
  /** The first snapshot from the server arrived (once). */
  ready: [status: ReplicaStatus];
  /** Flags changed (created, changed or deleted), by name; once per batch the server sent. */
  changed: [names: string[]];
  /** The server has been unreachable for longer than `staleAfter`; answers come from what is held. */
  stale: [error: Error];
  /** The server answered again after polls failed (once per outage; a restarted server included). */
  reconnected: [];
  /** Something went wrong that the replica survives (a snapshot file it cannot read or write, a poll that failed). */
  error: [error: Error];
}

/**
 * Typed events of a replica. Never emitted inside its constructor; `error` is emitted only when
 * someone listens (Node's `EventEmitter` would throw it otherwise: a replica never throws from a
 * background task).
 */
export class ReplicaEvents {
  private readonly emitter = new EventEmitter();

  on<E extends keyof ReplicaEventMap>(event: E, listener: (...args: ReplicaEventMap[E]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<E extends keyof ReplicaEventMap>(event: E, listener: (...args: ReplicaEventMap[E]) => void): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof ReplicaEventMap>(event: E, listener: (...args: ReplicaEventMap[E]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Emits; a listener that throws is not the replica's failure (it is reported on `error`, or dropped). */
  emit<E extends keyof ReplicaEventMap>(event: E, ...args: ReplicaEventMap[E]): void {
    if (event === 'error' && this.emitter.listenerCount('error') === 0) return;
    try {
      this.emitter.emit(event, ...args);
    } catch (error) {
      if (event !== 'error' && this.emitter.listenerCount('error') > 0) {
        this.emitter.emit('error', error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  removeAllListeners(): void {
    this.emitter.removeAllListeners();
  }
}
