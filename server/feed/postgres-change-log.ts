import type { Client, ClientConfig, Pool } from 'pg';
import { Backoff } from '../../client/calls/backoff';
import { withDeadline } from '../../client/calls/deadline';
import {
  changesSinceSql,
  changeTriggerNames,
  installChangeTrigger,
  type ChangeTriggerColumns,
} from '../../client/stores/postgres-change-trigger';
import type { FlipperLogger } from '../../shared/logger';
import type { ChangeLog, ChangeSignal, ChangesSince } from './change-log';

export interface PostgresChangeLogOptions extends ChangeTriggerColumns {
  /** The flags table. Default `feature_flags`. */
  tableName?: string;
  logger: FlipperLogger;
  /** Deadline of each query, in ms. Default 5000. */
  queryTimeoutMs?: number;
}

/**
 * The change log of a PostgreSQL table: the table's trigger (installed at start) versions every
 * change, whoever makes it, in the database, so every server over it agrees; `LISTEN` on the
 * trigger's channel is the signal. The listening connection is its own and is re-opened with
 * backoff when lost, followed by a catch-up (NOTIFYs sent meanwhile are lost, the versions are not).
 */
export class PostgresChangeLog implements ChangeLog {
  private readonly table: string;
  private listener: Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 5000 });
  private readonly timeoutMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly makeClient: () => Client,
    private readonly options: PostgresChangeLogOptions,
  ) {
    this.table = options.tableName ?? 'feature_flags';
    this.timeoutMs = options.queryTimeoutMs ?? 5000;
  }

  /**
   * Installs the trigger unless the store's migration (or another server) did (throws when it must
   * and cannot: no privilege, say), then listens.
   */
  async start(onSignal: ChangeSignal): Promise<void> {
    await withDeadline(
      installChangeTrigger((text) => this.pool.query(text), this.table, this.options),
      this.timeoutMs,
      'Installing the change trigger',
    );
    await this.listen(onSignal, false);
  }

  private async listen(onSignal: ChangeSignal, resync: boolean): Promise<void> {
    const client = this.makeClient();
    client.on('error', () => this.lost(client, onSignal));
    client.on('end', () => this.lost(client, onSignal));
    client.on('notification', () => onSignal());
    try {
      await withDeadline(client.connect(), this.timeoutMs, 'Connecting the change listener');
      await withDeadline(
        client.query(`LISTEN "${changeTriggerNames(this.table).channel}"`),
        this.timeoutMs,
        'LISTEN for changes',
      );
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.backoff.succeeded();
    if (resync) onSignal();
  }

  private lost(client: Client, onSignal: ChangeSignal): void {
    if (this.listener !== client || this.closed) return;
    this.listener = undefined;
    client.end().catch(() => undefined);
    this.options.logger.warn({ table: this.table }, 'change feed: lost the PostgreSQL LISTEN connection; reconnecting');
    this.reconnect(onSignal);
  }

  private reconnect(onSignal: ChangeSignal): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.listen(onSignal, true).catch(() => this.reconnect(onSignal));
    }, this.backoff.failed());
    this.retry.unref();
  }

  async record(): Promise<void> {
    // The trigger versions every change as it commits.
  }

  async changesSince(version: number): Promise<ChangesSince> {
    const result = await withDeadline(
      this.pool.query<{ store_id: string; head: string; name: string | null; version: string | null }>(
        changesSinceSql(this.table),
        [version],
      ),
      this.timeoutMs,
      'Reading the change log',
    );
    const first = result.rows[0];
    if (first === undefined) throw new Error(`the change log of ${this.table} has no head row`);
    const changes = [];
    for (const row of result.rows)
      if (row.name !== null) changes.push({ name: row.name, version: Number(row.version) });
    return { storeId: first.store_id, head: Number(first.head), changes };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.listener;
    this.listener = undefined;
    await client?.end().catch(() => undefined);
  }
}

export type { ClientConfig };
