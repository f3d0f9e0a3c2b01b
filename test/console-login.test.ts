import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FeatureFlagClient, ThriftRPCFeatureFlagStore } from '../client';
import { SCREENSHOTS, startConsole, until } from './helpers/console-browser';
import type { ServerProcess } from './helpers/flag-server-process';

const TOKEN = 'console-login-test-token-6f1d2c3b4a5e';

/**
 * Another origin on loopback (another port: same site, so the SameSite=Strict cookie is sent and
 * the other defences are what stop it): a page that posts a form to the console's write endpoint
 * as soon as it loads, and one that tries a credentialed fetch.
 */
function attackerPages(target: string): Promise<{ server: Server; url: string }> {
  const form = `<!doctype html><form id="f" method="POST" action="${target}" enctype="text/plain">
    <input name='{"x":"' value='"}' /></form><script>document.getElementById('f').submit()</script>`;
  const fetchPage = `<!doctype html><script>
    fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include',
      headers: { 'Content-Type': 'text/plain' }, body: '{}' }).finally(() => (document.title = 'sent'));
  </script>`;
  const server = createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end(request.url === '/fetch' ? fetchPage : form);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe('the web console with a login, in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let server: ServerProcess;
  let store: ThriftRPCFeatureFlagStore;
  let client: FeatureFlagClient;
  let url: string;
  const contexts: BrowserContext[] = [];
  /** Content-Security-Policy violations the pages reported (there must be none). */
  const violations: string[] = [];

  before(async function () {
    ({ server, url, store, client, browser } = await startConsole({
      FLIPPER_HTTP_TOKEN: TOKEN,
    }));
  });

  after(async function () {
    await browser?.close();
    await store?.close();
    await server?.stop();
    // The token is never logged, whatever happened.
    expect(server.lines.join('\n')).not.to.include(TOKEN);
  });

  afterEach(async function () {
    for (const context of contexts.splice(0)) await context.close();
    expect(violations).to.deep.equal([]);
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(error.message));
    return page;
  }

  async function loggedIn(): Promise<Page> {
    const page = await newPage();
    await page.goto(url);
    await page.fill('[data-login-token]', TOKEN);
    await page.click('[data-login]');
    await page.waitForSelector('table');
    return page;
  }

  /** A POST from the page's own script, as a script injected there would send it. */
  const postFromPage = (page: Page, path: string, headers: Record<string, string> = {}) =>
    page.evaluate(
      async ([p, h]) =>
        (await fetch(p, { method: 'POST', headers: { 'Content-Type': 'application/json', ...h }, body: '{}' })).status,
      [path, headers] as const,
    );

  it('shows a login form; without a session the flags are not shown and writes are refused', async function () {
    await client.create('login.before');
    const page = await newPage();
    await page.goto(url);
    await page.waitForSelector('[data-login-token]');
    expect(await page.$('table')).to.equal(null);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'console-login.png') });
    expect(await postFromPage(page, '/api/flags/login.before/enable')).to.equal(401);
    expect(await page.evaluate(async () => (await fetch('/api/flags')).status)).to.equal(401);
    expect(await client.isEnabled('login.before')).to.equal(false);
  });

  it('a wrong token shows an error and gives no session', async function () {
    const page = await newPage();
    await page.goto(url);
    await page.fill('[data-login-token]', 'not-the-token-0000000000');
    await page.click('[data-login]');
    await page.waitForSelector('[data-login-error]:has-text("wrong token")');
    expect((await page.context().cookies()).map((c) => c.name)).to.deep.equal([]);
    expect(await page.evaluate(async () => (await fetch('/api/flags')).status)).to.equal(401);
  });

  it('after login a toggle changes the flag; after logout writes are refused again', async function () {
    await client.create('login.toggle');
    const page = await loggedIn();
    const [cookie] = await page.context().cookies();
    expect(cookie).to.include({
      name: 'flipper_session',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: false,
    });
    // HttpOnly: the page's scripts cannot read it.
    expect(await page.evaluate('document.cookie')).to.equal('');
    await page.click('[data-toggle="login.toggle"]');
    await until('the RPC client sees the flag on', () => client.isEnabled('login.toggle'));

    // Even logged in, a POST without the session's CSRF token is refused.
    expect(await postFromPage(page, '/api/flags/login.toggle/disable')).to.equal(403);
    expect(await client.isEnabled('login.toggle')).to.equal(true);

    await page.click('[data-logout]');
    await page.waitForSelector('[data-login-token]');
    expect(await postFromPage(page, '/api/flags/login.toggle/disable', { 'X-CSRF-Token': 'anything' })).to.equal(401);
    expect(await client.isEnabled('login.toggle')).to.equal(true);
  });

  it('a form posted from another origin, and a no-cors fetch, store nothing, even with a session', async function () {
    await client.create('login.csrf');
    const target = `${url}api/flags/login.csrf/enable`;
    const attacker = await attackerPages(target);
    try {
      const page = await loggedIn();
      const refused = page.waitForResponse((response) => response.url() === target);
      await page.goto(`${attacker.url}/form`);
      const response = await refused;
      // The session cookie went along (same site): the request was refused on its own merits.
      expect(await response.request().headerValue('cookie')).to.match(/^flipper_session=/);
      expect(response.status()).to.equal(403);
      expect(await response.text()).to.include('Sec-Fetch-Site');

      const other = await page.context().newPage();
      await other.goto(`${attacker.url}/fetch`);
      await until('the attacker page sent its fetch', async () => (await other.title()) === 'sent');
      expect(await client.isEnabled('login.csrf')).to.equal(false);
    } finally {
      attacker.server.close();
    }
  });

  it('two logged-in tabs see each other’s changes, and changes made over RPC, from the change feed', async function () {
    await client.create('login.shared');
    const [a, b] = [await loggedIn(), await loggedIn()];
    await b.waitForSelector('[data-toggle="login.shared"]:not(:checked)');
    const start = Date.now();
    await a.click('[data-toggle="login.shared"]');
    await b.waitForSelector('[data-toggle="login.shared"]:checked', { timeout: 2000 });
    await client.disable('login.shared');
    await a.waitForSelector('[data-toggle="login.shared"]:not(:checked)', { timeout: 2000 });
    await b.waitForSelector('[data-toggle="login.shared"]:not(:checked)', { timeout: 2000 });
    // No polling: the pages heard of both changes through /api/events.
    expect(Date.now() - start).to.be.below(4000);
  });
});
