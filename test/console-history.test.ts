import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FeatureFlagClient, MemoryFeatureFlagStore } from '../client';
import { HttpEndpoints } from '../server/http/endpoints';
import { MemoryHistoryLog } from '../server/history/memory-history-log';
import { DEFAULT_HISTORY_RETENTION } from '../shared/model/history';
import { CHROMIUM, SCREENSHOTS, until } from './helpers/console-browser';
import { quietLogger, serve, type Served } from './helpers/rpc-served';

/**
 * The console's History panel in Chromium, over an in-process flag server with a memory history
 * (the console writes through the server's own write path, so RPC and console changes share it).
 */
describe('the web console in Chromium: history and rollback', function () {
  this.timeout(60_000);
  let browser: Browser;
  let served: Served;
  let endpoints: HttpEndpoints;
  let client: FeatureFlagClient;
  let url: string;

  before(async function () {
    expect(existsSync(CHROMIUM), `${CHROMIUM} (apt-get install chromium)`).to.equal(true);
    mkdirSync(SCREENSHOTS, { recursive: true });
    const store = new MemoryFeatureFlagStore();
    const history = new MemoryHistoryLog(store, { retention: DEFAULT_HISTORY_RETENTION });
    await history.open();
    served = await serve(store, { server: { history } });
    endpoints = new HttpEndpoints({
      store,
      logger: quietLogger,
      host: '127.0.0.1',
      httpPort: 0,
      httpWrites: true,
      readyTimeoutMs: 1000,
      openConnections: () => 0,
      closing: () => false,
      feed: () => served.server.feed,
      writer: () => served.server.writer,
    });
    url = `http://127.0.0.1:${(await endpoints.listen()).httpPort!}/`;
    client = new FeatureFlagClient(served.rpc, { logger: quietLogger });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  after(async function () {
    await browser?.close();
    await endpoints?.close();
    await served?.close();
  });

  async function open(name: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => void (/Content Security Policy/i.test(m.text()) && errors.push(m.text())));
    await page.goto(`${url}#/flag/${encodeURIComponent(name)}`);
    await page.waitForSelector('[data-history] ol');
    return { page, errors };
  }

  const entry = (page: Page, index: number) => page.locator('[data-history-entry]').nth(index);

  it('a change made over RPC shows with its actor, reason and diff; a console toggle shows as the console, from the browser', async function () {
    await client.create('hist.checkout', { clientData: { owner: 'payments' } });
    await client.setClientData('hist.checkout', { owner: 'payments', plan: 'pro' }, { actor: 'bob', reason: 'launch' });
    const { page, errors } = await open('hist.checkout');
    await page.waitForSelector('[data-history-entry] [data-reason]:has-text("launch")');
    const rpc = entry(page, 0);
    expect(await rpc.locator('[data-operation]').textContent()).to.match(/^SetMeta/);
    expect(await rpc.locator('[data-actor]').textContent()).to.equal('by bob');
    expect(await rpc.locator('[data-peer]').textContent()).to.match(/^from (::ffff:)?127\.0\.0\.1:\d+$/);
    expect(await rpc.locator('[data-change]').allTextContents()).to.deep.equal(['client_data.plan: added "pro"']);

    await page.click('[data-toggle="hist.checkout"]');
    await page.waitForSelector('[data-history-entry]:first-child [data-operation]:has-text("Console: enable")');
    const toggled = entry(page, 0);
    expect(await toggled.locator('[data-actor]').textContent()).to.equal('by console');
    // The browser's own address: the port of one of its connections to the console.
    expect(await toggled.locator('[data-peer]').textContent()).to.match(/^from (::ffff:)?127\.0\.0\.1:\d+$/);
    expect(await toggled.locator('[data-change]').allTextContents()).to.deep.equal(['state: off → on']);
    expect(await client.isEnabled('hist.checkout')).to.equal(true);
    await page.locator('[data-history]').screenshot({ path: join(SCREENSHOTS, 'console-history.png') });
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('rollback from the console restores the flag and is recorded as a rollback with its reason', async function () {
    await client.create('hist.banner');
    await client.enable('hist.banner', { actor: 'carol' });
    await client.setClientData('hist.banner', { color: 'red' }, { actor: 'carol' });
    const { page, errors } = await open('hist.banner');
    await page.waitForSelector('[data-history-entry] [data-change]:has-text("client_data.color")');
    const created = await entry(page, 2).getAttribute('data-history-entry');
    expect(await page.$('[data-history-entry]:first-child [data-rollback]')).to.equal(null);
    await page.click(`[data-rollback="${created}"]`);
    await page.fill(`[data-rollback-form="${created}"] [data-rollback-reason]`, 'too loud');
    await page.click(`[data-rollback-confirm="${created}"]`);
    await page.waitForSelector('[data-history-entry]:first-child [data-operation]:has-text("Console: rollback")');
    const rollback = entry(page, 0);
    expect(await rollback.textContent()).to.include(`to version ${created}`);
    expect(await rollback.locator('[data-reason]').textContent()).to.equal('“too loud”');
    expect(await rollback.locator('[data-change]').allTextContents()).to.deep.equal([
      'state: on → off',
      'client_data.color: removed (was "red")',
    ]);
    expect(await client.isEnabled('hist.banner')).to.equal(false);
    expect(await client.getClientData('hist.banner')).to.deep.equal({});
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('a rollback confirmed after someone else changed the flag is refused: the page says so, nothing changes', async function () {
    await client.create('hist.race');
    await client.enable('hist.race', { actor: 'dave' });
    const { page } = await open('hist.race');
    await page.waitForSelector('[data-history-entry]:nth-child(2)');
    const created = await entry(page, 1).getAttribute('data-history-entry');
    await page.click(`[data-rollback="${created}"]`);
    // Another writer changes it while the rollback waits for confirmation: the page hears of it.
    await client.setClientData('hist.race', { late: true }, { actor: 'erin' });
    await page.waitForSelector('[data-history-entry]:first-child [data-actor]:has-text("erin")');
    await page.click(`[data-rollback-confirm="${created}"]`);
    const error = await page.waitForSelector(`[data-rollback-error="${created}"]`);
    expect(await error.textContent()).to.match(/^Not rolled back: someone changed the flag meanwhile/);
    expect(await client.isEnabled('hist.race')).to.equal(true);
    expect(await client.getClientData('hist.race')).to.deep.equal({ late: true });
    const history = await client.history('hist.race');
    expect(history.map((e) => e.operation)).to.deep.equal(['SetMetaIf', 'SetIf', 'Create']);
    await page.close();
  });

  it('pages older entries on demand, with no gap when a change arrives meanwhile', async function () {
    await client.create('hist.many');
    for (let i = 0; i < 22; i++) await client.setClientData('hist.many', { i }, { actor: 'loop' });
    const { page } = await open('hist.many');
    await until('the first page shows', async () => (await page.locator('[data-history-entry]').count()) === 20);
    await page.click('[data-history-older]');
    await until('the older page is added', async () => (await page.locator('[data-history-entry]').count()) === 23);
    expect(await page.$('[data-history-older]')).to.equal(null);
    expect(await entry(page, 22).locator('[data-change]').first().textContent()).to.match(/^created: off/);
    // A change arriving after "Older" adds an entry on top and leaves none out below.
    await client.setClientData('hist.many', { i: 'last' }, { actor: 'loop' });
    await until('the new entry shows', async () => (await page.locator('[data-history-entry]').count()) === 24);
    const versions = (await page
      .locator('[data-history-entry]')
      .evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-history-entry'))))) as number[];
    expect(versions).to.deep.equal([...versions].sort((a, b) => b - a));
    expect(new Set(versions).size).to.equal(24);
    expect(versions[0] - versions[23]).to.equal(23);
    await page.close();
  });
});
