import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FeatureFlagClient } from '../../../client/client';
import { updateFlag } from '../../../client/stores/update-flag';
import { FlagDoesNotExistError, FlipperError, isJsonObject } from '../../../shared';
import { serializeItem } from '../../../shared/model/codec';
import { bucketerFromStored, clientDataFromStored, conditionFromStored } from '../../../shared/model/stored-codec';
import { InvalidArgumentError } from '../../../shared';
import { decodeStored, isStoredObject, parseStoredJson, type StoredJson } from '../../../shared/stored-json';
import { stringifyJson } from '../../../shared/stringify-json';
import type { ChangeFeed } from '../../feed/change-feed';
import type { ConsoleGate } from '../auth/console-gate';
import { HttpError } from '../http-error';
import { send } from '../http-listener';
import type { ConsoleEvents } from './console-events';

/** Largest request body the console sends (client data is at most 64 KiB). */
const MAX_BODY = 256 * 1024;

export interface ConsoleApiOptions {
  client: FeatureFlagClient;
  /** Who may call what: the login, CSRF and same-origin checks. */
  gate: ConsoleGate;
  events: ConsoleEvents;
  /** The server's change feed, told of each console write so that it answers its pollers at once. */
  feed: () => ChangeFeed | undefined;
}

/**
 * The console's JSON API under `/api/`: `GET session`, `POST login`, `POST logout`, `GET events`
 * (Server-Sent Events), `GET flags`, `GET flags/NAME`, `POST flags/NAME/explain`, and the writes
 * `POST flags/NAME/enable|disable`, `PUT flags/NAME/conditions|bucketer|client-data` (bodies in
 * the stored JSON form, replies too: Python's dialect, `NaN` and long integers as stored). Writes
 * go through the client's conditional update, as RPC writes do. The gate decides who gets
 * through (`ConsoleGate`).
 */
export function consoleApi(options: ConsoleApiOptions) {
  const { client, gate } = options;
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const path = (request.url ?? '').split('?')[0].slice('/api/'.length);
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
      if (method === 'POST' && (action === 'enable' || action === 'disable')) {
        await body(request);
        if (action === 'enable') await client.enable(name);
        else await client.disable(name);
      } else if (method === 'PUT' && action === 'conditions') {
        const tree = await body(request);
        if (!Array.isArray(tree)) throw new HttpError(400, 'conditions must be a JSON list');
        await client.setConditions(name, tree.map(conditionFromStored));
      } else if (method === 'PUT' && action === 'bucketer') {
        await client.setBucketer(name, bucketerFromStored(await body(request)));
      } else if (method === 'PUT' && action === 'client-data') {
        // The console edits the whole object: replaced, not merged.
        const clientData = clientDataFromStored(await body(request), InvalidArgumentError, 'client data');
        await updateFlag(client.store, name, (item) => item.withMeta(item.meta.with({ clientData })));
      } else {
        throw new HttpError(405, `${method} ${path} is not an API call`);
      }
      await options.feed()?.afterWrite(name);
      const item = await client.store.get(name);
      return raw(response, 200, item === undefined ? 'null' : serializeItem(item));
    } catch (error) {
      const status =
        error instanceof HttpError
          ? error.status
          : error instanceof FlagDoesNotExistError
            ? 404
            : error instanceof FlipperError && error.code.startsWith('INVALID')
              ? 400
              : 500;
      if (error instanceof HttpError)
        for (const [header, value] of Object.entries(error.headers)) response.setHeader(header, value);
      json(response, status, { error: error instanceof Error ? error.message : String(error) });
    }
  };
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
