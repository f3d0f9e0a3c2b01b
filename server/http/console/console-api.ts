import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FeatureFlagClient } from '../../../client/client';
import { updateFlag } from '../../../client/stores/update-flag';
import { FlagDoesNotExistError, FlipperError, isJsonObject } from '../../../shared';
import { serializeItem } from '../../../shared/model/codec';
import { bucketerFromStored, clientDataFromStored, conditionFromStored } from '../../../shared/model/stored-codec';
import { InvalidArgumentError } from '../../../shared';
import { decodeStored, isStoredObject, parseStoredJson, type StoredJson } from '../../../shared/stored-json';
import { stringifyJson } from '../../../shared/stringify-json';
import type { RecordedContext } from '../../../shared/model/history';
import { HistoryOffError, type FlagWriter } from '../../flag-writer';
import type { ConsoleGate } from '../auth/console-gate';
import { HttpError } from '../http-error';
import { send } from '../http-listener';
import type { ConsoleEvents } from './console-events';
import { historyPage, rollbackFromConsole } from './console-history';

/** Largest request body the console sends (client data is at most 64 KiB). */
const MAX_BODY = 256 * 1024;

export interface ConsoleApiOptions {
  client: FeatureFlagClient;
  /** Who may call what: the login, CSRF and same-origin checks. */
  gate: ConsoleGate;
  events: ConsoleEvents;
  /**
   * The flag server's write path (its RPC handler's): console writes are queued, recorded in the
   * history and announced to the change feed as RPC writes are. Undefined until the server exists.
   */
  writer: () => FlagWriter | undefined;
}

/** The console actions, as the history records them (`operation`). */
const OPERATIONS = new Map([
  ['enable', 'Console: enable'],
  ['disable', 'Console: disable'],
  ['conditions', 'Console: set conditions'],
  ['bucketer', 'Console: set bucketer'],
  ['client-data', 'Console: set client data'],
  ['rollback', 'Console: rollback'],
]);

/**
 * The console's JSON API under `/api/`: `GET session`, `POST login`, `POST logout`, `GET events`
 * (Server-Sent Events), `GET flags`, `GET flags/NAME`, `POST flags/NAME/explain`, and the writes
 * `POST flags/NAME/enable|disable`, `PUT flags/NAME/conditions|bucketer|client-data` (bodies in
 * the stored JSON form, replies too: Python's dialect, `NaN` and long integers as stored),
 * `GET flags/NAME/history?limit=&before=` and `POST flags/NAME/rollback` (see console-history.ts).
 * Writes are the client's conditional updates, made through the server's write path
 * (`FlagWriter`) with the console action, the session and the browser's address recorded. The
 * gate decides who gets through (`ConsoleGate`).
 */
export function consoleApi(options: ConsoleApiOptions) {
  const { client, gate } = options;
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(request.url ?? '/', 'http://console');
      const path = url.pathname.slice('/api/'.length);
      const method = request.method ?? 'GET';
      if (path === 'session' && method === 'GET') return json(response, 200, gate.info(request));
      if (path === 'login' && method === 'POST') {
        gate.checkLogin(request);
        const given = await body(request);
        const token = isStoredObject(given) ? given.token : undefined;
        return json(response, 200, gate.login(request, response, typeof token === 'string' ? token : undefined));
      }
      if (path === 'logout' && method === 'POST') return json(response, 200, gate.logout(request, response));
      if (method === 'GET' || method === 'HEAD') gate.checkRead(request);
      else gate.checkPost(request, !path.endsWith('/explain'));
      if (path === 'events' && method === 'GET')
        return await options.events.serve(request, response, () => gate.session(request) !== undefined);
      if (path === 'flags' && method === 'GET') {
        const items = await client.store.list();
        return raw(response, 200, `[${items.map(serializeItem).join(', ')}]`);
      }
      const match = path.match(/^flags\/([^/]+)(?:\/([a-z-]+))?$/);
      if (!match) throw new HttpError(404, 'no such API path');
      const name = decodeURIComponent(match[1]);
      const action = match[2];
      if (action === undefined && method === 'GET') {
        const item = await client.store.get(name);
        if (item === undefined) throw new FlagDoesNotExistError(name);
        return raw(response, 200, serializeItem(item));
      }
      if (action === 'explain' && method === 'POST') {
        const checks = decodeStored(await body(request));
        if (!isJsonObject(checks)) throw new HttpError(400, 'checks must be a JSON object');
        return raw(response, 200, stringifyJson(await client.explain(name, checks)));
      }
      const writer = options.writer();
      if (writer === undefined) throw new HttpError(503, 'the flag server is not running yet');
      if (action === 'history' && method === 'GET') {
        return json(response, 200, await historyPage(writer, client.store, name, url.searchParams));
      }
      const operation = action === undefined ? undefined : OPERATIONS.get(action);
      const recorded: RecordedContext = {
        operation,
        actor: gate.actor(request),
        peer: `${request.socket.remoteAddress}:${request.socket.remotePort}`,
      };
      if (method === 'POST' && action === 'rollback') {
        const given = await body(request);
        return json(response, 200, await rollbackFromConsole(writer, name, given, recorded));
      }
      const write = <T>(change: () => Promise<T>) => writer.write(name, recorded, change);
      if (method === 'POST' && (action === 'enable' || action === 'disable')) {
        await body(request);
        await write(() => (action === 'enable' ? client.enable(name) : client.disable(name)));
      } else if (method === 'PUT' && action === 'conditions') {
        const tree = await body(request);
        if (!Array.isArray(tree)) throw new HttpError(400, 'conditions must be a JSON list');
        const conditions = tree.map(conditionFromStored);
        await write(() => client.setConditions(name, conditions));
      } else if (method === 'PUT' && action === 'bucketer') {
        const bucketer = bucketerFromStored(await body(request));
        await write(() => client.setBucketer(name, bucketer));
      } else if (method === 'PUT' && action === 'client-data') {
        // The console edits the whole object: replaced, not merged.
        const clientData = clientDataFromStored(await body(request), InvalidArgumentError, 'client data');
        await write(() => updateFlag(client.store, name, (item) => item.withMeta(item.meta.with({ clientData }))));
      } else {
        throw new HttpError(405, `${method} ${path} is not an API call`);
      }
      const item = await client.store.get(name);
      return raw(response, 200, item === undefined ? 'null' : serializeItem(item));
    } catch (error) {
      const status = statusOf(error);
      if (error instanceof HttpError)
        for (const [header, value] of Object.entries(error.headers)) response.setHeader(header, value);
      json(response, status, { error: error instanceof Error ? error.message : String(error) });
    }
  };
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (error instanceof FlagDoesNotExistError) return 404;
  if (error instanceof HistoryOffError) return 501;
  if (error instanceof FlipperError && error.code === 'CONFLICT') return 409;
  if (error instanceof FlipperError && error.code.startsWith('INVALID')) return 400;
  return 500;
}

async function body(request: IncomingMessage): Promise<StoredJson> {
  let text = '';
  for await (const chunk of request) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > MAX_BODY) throw new HttpError(413, 'request body too large');
  }
  if (text.trim() === '') return null;
  try {
    return parseStoredJson(text);
  } catch (error) {
    throw new HttpError(400, `not JSON: ${(error as Error).message}`);
  }
}

function json(response: ServerResponse, status: number, value: unknown): void {
  raw(response, status, JSON.stringify(value));
}

function raw(response: ServerResponse, status: number, text: string): void {
  send(response, status, text, 'application/json; charset=utf-8');
}
