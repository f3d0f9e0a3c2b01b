import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { FeatureFlagClient, ThriftRPCFeatureFlagStore } from '../../client';
import { logRecords, startServerProcess, type ServerProcess } from './flag-server-process';
import { quietLogger } from './rpc-served';

/** Debian's chromium (`make install` installs it), driven by playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';

/** `make screenshots` sets UPDATE_SCREENSHOTS: the README's pictures are written where it shows them. */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(__dirname, '..', '..', '..', 'docs', 'screenshots')
  : join(__dirname, '..', 'screenshots');

/** Resolves once `test()` holds; rejects naming `what` after `ms`. */
export async function until(what: string, test: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A `flipper-server` process serving the console, an RPC client of it, and Chromium. */
export interface ConsoleUnderTest {
  server: ServerProcess;
  /** The console's address, `http://127.0.0.1:PORT/`. */
  url: string;
  store: ThriftRPCFeatureFlagStore;
  client: FeatureFlagClient;
  browser: Browser;
  /** Closes the browser, the client and the server. */
  stop(): Promise<void>;
}

/** Starts a memory-store server with `--http-port 0 --http-writes` (plus `env`), a client of it and Chromium. */
export async function startConsole(env: NodeJS.ProcessEnv = {}): Promise<ConsoleUnderTest> {
  const server = await startServerProcess(['--store', 'memory', '--http-port', '0', '--http-writes'], env);
  const url = `http://127.0.0.1:${logRecords(server).find((r) => r.msg === 'http listening')!.httpPort as number}/`;
  const store = new ThriftRPCFeatureFlagStore({ port: server.port });
  const client = new FeatureFlagClient(store, { logger: quietLogger });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  return {
    server,
    url,
    store,
    client,
    browser,
    stop: async () => {
      await browser.close();
      await store.close();
      await server.stop();
    },
  };
}
