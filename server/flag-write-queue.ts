/**
 * Runs the writes to one flag one after another, in arrival order, while writes to different flags
 * run at once. The stores are atomic without it; with it, the server's own callers do not collide
 * on one flag (no conflicts and retries among them), and they are applied in the order they came.
 */
export class FlagWriteQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(featureName: string, write: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(featureName);
    const next = previous === undefined ? write() : previous.then(write, write);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(featureName, tail);
    // The last write out removes the entry, so the map holds only flags with writes in flight.
    void tail.then(() => {
      if (this.tails.get(featureName) === tail) this.tails.delete(featureName);
    });
    return next;
  }
}
