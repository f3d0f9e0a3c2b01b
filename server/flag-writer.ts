import { withWriteContext } from '../client/calls/write-context';
import type { FeatureFlagStore } from '../client/stores/feature-flag-store';
import { StoreError } from '../shared';
import type { HistoryQuery, HistoryRecord, RecordedContext } from '../shared/model/history';
import type { ChangeFeed } from './feed/change-feed';
import { FlagWriteQueue } from './flag-write-queue';
import type { HistoryLog } from './history/history-log';
import { rollBack } from './history/rollback';

/** History or Rollback asked of a server that keeps no history (answered INTERNAL over RPC, 501 by the console). */
export class HistoryOffError extends StoreError {
  constructor() {
    super('this server keeps no history (--history-limit 0)');
  }
}

/**
 * The one write path of a flag server, shared by its RPC handler and its web console so that both
 * are ordered, recorded and announced alike: every write is queued per flag, made inside its
 * recorded context (so a backend whose trigger records changes finds who made it), recorded in the
 * history before the next write of the flag starts, and told to the change feed before the reply.
 */
export class FlagWriter {
  private readonly queue = new FlagWriteQueue();

  constructor(
    private readonly store: FeatureFlagStore,
    private readonly feed?: ChangeFeed,
    /** Where every change is recorded; none: writes are not recorded, and History/Rollback fail. */
    private readonly history?: HistoryLog,
  ) {}

  /** Runs `body` (a store write of flag `name`) as the server's write made in `recorded`'s context. */
  async write<T>(name: string, recorded: RecordedContext, body: () => Promise<T>): Promise<T> {
    const value = await this.queue.run(name, async () => {
      const written = await withWriteContext(recorded, body);
      await this.history?.recordWrite(name, recorded);
      return written;
    });
    await this.feed?.afterWrite(name);
    return value;
  }

  /** The history, or `HistoryOffError`. */
  requireHistory(): HistoryLog {
    if (this.history === undefined) throw new HistoryOffError();
    return this.history;
  }

  /**
   * A flag's recorded changes, newest first. Changes another program made directly in the backend
   * since the last recording are recorded first, so they show.
   */
  async entries(name: string, query: HistoryQuery): Promise<HistoryRecord[]> {
    const history = this.requireHistory();
    await history.reconcile([name]);
    return history.entries(name, query);
  }

  /**
   * Restores the flag as it was after the change recorded at `version` (see `history/rollback.ts`)
   * as a new conditional, recorded change made in `context`; resolves with the flag's newest entry.
   */
  async rollBack(
    name: string,
    version: number,
    context: RecordedContext,
    expectedRevision?: string,
  ): Promise<HistoryRecord> {
    const history = this.requireHistory();
    await this.write(name, { ...context, rollbackTo: version }, () =>
      rollBack({ store: this.store, history, name, version, expectedRevision }),
    );
    const [newest] = await history.entries(name, { limit: 1 });
    return newest;
  }
}
