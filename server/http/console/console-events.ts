import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChangeFeed, FeedChanges } from '../../feed/change-feed';
import { HttpError } from '../http-error';

export interface ConsoleEventsOptions {
  /** The server's change feed (created after the HTTP side, hence a function). */
  feed: () => ChangeFeed | undefined;
  /** Event streams open at once; more are refused with 503. Default 64. */
  maxStreams?: number;
  /** A comment line is sent after this long without a change, in ms. Default 25000. */
  heartbeatMs?: number;
}

/** Browsers reconnect this long after a stream ends, in ms. */
const RETRY_MS = 2000;

/**
 * `GET /api/events`: Server-Sent Events following the server's change feed, so every open page
 * hears of a change (made there, in another tab, with `flipper` or over RPC) when the feed does.
 * Events: `reload` (start, or the store was replaced: read everything again) and `change` with
 * `{"changed": [names], "deleted": [names]}`. The number of streams is bounded, and a stream whose
 * client went away leaves nothing waiting in the feed.
 */
export class ConsoleEvents {
  private readonly maxStreams: number;
  private readonly heartbeatMs: number;
  private open = 0;

  constructor(private readonly options: ConsoleEventsOptions) {
    this.maxStreams = options.maxStreams ?? 64;
    this.heartbeatMs = options.heartbeatMs ?? 25_000;
  }

  /** Streams open now. */
  get streams(): number {
    return this.open;
  }

  /** Streams changes until the client goes, the feed stops, or `allowed()` says no more (a logout). */
  async serve(request: IncomingMessage, response: ServerResponse, allowed: () => boolean): Promise<void> {
    const feed = this.options.feed();
    if (feed === undefined || feed.stopped) throw new HttpError(503, 'the change feed is not running');
    if (this.open >= this.maxStreams) {
      throw new HttpError(503, `${this.open} event streams are open already; retry later`, { 'Retry-After': '5' });
    }
    this.open++;
    const gone = new AbortController();
    let wake: ((changes: FeedChanges | undefined) => void) | undefined;
    response.on('close', () => {
      gone.abort();
      wake?.(undefined);
    });
    try {
      response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
      response.write(`retry: ${RETRY_MS}\n\n`);
      let since: { storeId: string; version: number } | undefined;
      while (!gone.signal.aborted && !feed.stopped && allowed()) {
        const changes = await new Promise<FeedChanges | undefined>((resolve) => {
          wake = resolve;
          // A feed that cannot follow the store ends the stream: the browser reconnects after RETRY_MS.
          feed.waitForChanges(since, this.heartbeatMs, resolve, gone.signal).catch(() => resolve(undefined));
        });
        if (changes === undefined || response.destroyed || !allowed()) break;
        response.write(eventFor(changes, since === undefined));
        since = { storeId: changes.storeId, version: changes.version };
      }
    } finally {
      this.open--;
      if (!response.destroyed) response.end();
    }
  }
}

function eventFor(changes: FeedChanges, first: boolean): string {
  if (first || changes.snapshotRequired) return 'event: reload\ndata: {}\n\n';
  if (changes.changed.length === 0 && changes.deleted.length === 0) return ': nothing changed\n\n';
  const changed = changes.changed.map((item) => item.featureName);
  return `event: change\ndata: ${JSON.stringify({ changed, deleted: changes.deleted })}\n\n`;
}
