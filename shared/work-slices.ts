/**
 * Long work (listing, parsing or encoding thousands of flags) done in slices of a few ms, one
 * slice per event-loop turn for the whole process, taken in turn by whoever waits: eight `List`s
 * running at once still leave each turn free after ~3 ms, so a `Get` waits at most about one slice.
 * (With a plain `setImmediate` per worker, a turn would run one slice of every worker.)
 */

/** How long one slice may run, in ms. */
export const SLICE_MS = 3;

const waiting: Array<() => void> = [];
let scheduled = false;

function release(): void {
  scheduled = false;
  const next = waiting.shift();
  if (waiting.length > 0) schedule();
  next?.();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(release);
}

/** Resolves when the caller may run its next slice (on a later turn, after those already waiting). */
export function nextSlice(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    schedule();
  });
}

/** A clock for one worker's slice: `spent()` is true once the slice has run `SLICE_MS`. */
export class Slice {
  private started = performance.now();

  /** True when the slice is used up; check it every few items. */
  spent(): boolean {
    return performance.now() - this.started > SLICE_MS;
  }

  /** Waits for the next slice and starts its clock. */
  async next(): Promise<void> {
    await nextSlice();
    this.started = performance.now();
  }
}
