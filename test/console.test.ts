import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Condition, FeatureFlagClient, ThriftRPCFeatureFlagStore, deserializeItem, serializeItem } from '../client';
import { CHROMIUM, SCREENSHOTS, startConsole, until } from './helpers/console-browser';
import { logRecords, startServerProcess, type ServerProcess } from './helpers/flag-server-process';

describe('the web console in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let server: ServerProcess;
  let store: ThriftRPCFeatureFlagStore;
  let client: FeatureFlagClient;
  let url: string;

  before(async function () {
    // `make install` (system-deps) installs Debian's chromium.
    expect(existsSync(CHROMIUM), `${CHROMIUM} (apt-get install chromium)`).to.equal(true);
    mkdirSync(SCREENSHOTS, { recursive: true });
    ({ server, url, store, client, browser } = await startConsole());
  });

  after(async function () {
    await browser?.close();
    await store?.close();
    await server?.stop();
  });

  async function open(hash = ''): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The page must work under its Content-Security-Policy: Chromium reports each violation here.
    page.on('console', (m) => void (/Content Security Policy/i.test(m.text()) && errors.push(m.text())));
    await page.goto(url + hash);
    await page.waitForSelector(hash ? '[data-flag-name]' : 'table');
    expect(errors).to.deep.equal([]);
    return page;
  }

  it('lists flags with search; a toggle changes the flag over RPC', async function () {
    await client.create('console.checkout', { isEnabled: true, clientData: { owner: 'payments' } });
    await client.create('console.banner');
    const page = await open();
    await page.waitForSelector('[data-toggle="console.banner"]');
    await page.fill('input[type=search]', 'banner');
    await until('search hides other flags', async () => (await page.$('[data-flag="console.checkout"]')) === null);
    await page.fill('input[type=search]', 'console.');
    await page.waitForSelector('[data-flag="console.checkout"]');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-list.png') });
    await page.click('[data-toggle="console.banner"]');
    await until('the RPC client sees the flag on', () => client.isEnabled('console.banner'));
    await page.close();
  });

  it('adding a condition changes what explain says', async function () {
    await client.create('console.beta', { isEnabled: true });
    const page = await open('#/flag/console.beta');
    await page.fill('[data-checks]', '{"country": "FR"}');
    await page.click('[data-explain]');
    await page.waitForSelector('[data-explanation]:has-text("BUCKETER")');

    await page.click('[data-add-check]');
    await page.fill('[data-check="0"] [data-variable]', 'country');
    await page.selectOption('[data-check="0"] [data-operator]', 'in');
    await page.fill('[data-check="0"] [data-value]', '["NZ", "AU"]');
    await page.click('[data-save="conditions"]');
    await until('the condition is stored', async () => (await client.getMeta('console.beta')).conditions.length === 1);
    expect((await client.getMeta('console.beta')).toJSON().conditions).to.deep.equal([
      { country: [{ variable: 'country', value: ['NZ', 'AU'], operator: 'in' }] },
    ]);
    await page.click('[data-explain]');
    await page.waitForSelector('[data-explanation]:has-text("CONDITION_FAILED")');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-flag.png'), fullPage: true });
    await page.close();
  });

  it('invalid client data JSON shows an error and stores nothing', async function () {
    await client.create('console.data', { clientData: { owner: 'web' } });
    const page = await open('#/flag/console.data');
    await page.fill('[data-client-data]', '{"owner": ');
    await page.click('[data-save="client-data"]');
    await page.waitForSelector('[data-error="client-data"]:has-text("not valid JSON")');
    expect(await client.getClientData('console.data')).to.deep.equal({ owner: 'web' });
    await page.fill('[data-client-data]', '{"owner": "payments", "ticket": 4521}');
    await page.click('[data-save="client-data"]');
    await until(
      'the new client data is stored',
      async () => (await client.getClientData('console.data')).ticket === 4521,
    );
    await page.close();
  });

  it('a bad bucketer percentage and a bad condition value are refused in the page', async function () {
    await client.create('console.bucket');
    await client.addCondition('console.bucket', new Condition({ plan: 'pro' }));
    const page = await open('#/flag/console.bucket');
    await page.selectOption('[data-bucketer-type]', 'ConsistentHashPercentageBucketer');
    await page.fill('[data-percentage]', '1.5');
    await page.click('[data-save="bucketer"]');
    await page.waitForSelector('[data-error="bucketer"]');
    await page.fill('[data-check="0"] [data-value]', 'pro');
    await page.click('[data-save="conditions"]');
    await page.waitForSelector('[data-error="conditions"]:has-text("not JSON")');
    const meta = (await client.getMeta('console.bucket')).toJSON();
    expect(meta.bucketer).to.deep.equal({ type: 'NoOpBucketer' });
    expect(meta.conditions).to.deep.equal([{ plan: [{ variable: 'plan', value: 'pro', operator: null }] }]);
    await page.fill('[data-percentage]', '0.25');
    await page.fill('[data-keys]', 'user_id');
    await page.click('[data-save="bucketer"]');
    await until(
      'the bucketer is stored',
      async () => (await client.getMeta('console.bucket')).bucketer.type !== 'NoOpBucketer',
    );
    expect((await client.getMeta('console.bucket')).bucketer.toJSON()).to.deep.equal({
      type: 'ConsistentHashPercentageBucketer',
      percentage: { type: 'Percentage', value: 0.25 },
      key_whitelist: ['user_id'],
    });
    await page.close();
  });

  it('a linear ramp set in the page is stored, and charted with now marked', async function () {
    await client.create('console.ramp', { isEnabled: true });
    const page = await open('#/flag/console.ramp');
    await page.selectOption('[data-bucketer-type]', 'ConsistentHashPercentageBucketer');
    await page.check('[data-ramp]');
    await page.fill('[data-ramp-from]', '0.1');
    await page.fill('[data-percentage]', '0.9');
    await page.fill('[data-ramp-over]', '7200');
    await page.fill('[data-keys]', 'user_id');
    const before = Math.floor(Date.now() / 1000);
    await page.click('[data-save="bucketer"]');
    await until(
      'the ramp is stored',
      async () => (await client.getMeta('console.ramp')).bucketer.type !== 'NoOpBucketer',
    );
    const stored = (await client.getMeta('console.ramp')).bucketer.toJSON() as {
      percentage: {
        type: string;
        initial_value: number;
        final_value: number;
        ramp_duration: number;
        initial_time: number;
      };
      key_whitelist: string[];
    };
    expect(stored.percentage).to.include({
      type: 'LinearRampPercentage',
      initial_value: 0.1,
      final_value: 0.9,
      ramp_duration: 7200,
    });
    expect(stored.percentage.initial_time).to.be.within(before - 1, before + 5);
    expect(stored.key_whitelist).to.deep.equal(['user_id']);
    await page.waitForSelector('[data-ramp-chart] canvas');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-ramp.png'), fullPage: true });
    await page.close();
  });

  it('client data in Python’s dialect (NaN, Infinity, long integers, 1.0) is shown and saved without a change', async function () {
    await client.create('console.nan', { clientData: { owner: 'web' } });
    await client.addCondition('console.nan', new Condition({ user_id: 9223372036854775807n }));
    // Python's json.dumps writes these; JavaScript's JSON cannot hold them.
    const python =
      '"owner": "web", "ratio": NaN, "cap": Infinity, "floor": -Infinity, "id": 9223372036854775807, "weight": 1.0, "big": 1e+20';
    const text = serializeItem((await store.get('console.nan'))!).replace('"owner": "web"', python);
    await store.setMeta('console.nan', deserializeItem(text).meta);
    expect(serializeItem((await store.get('console.nan'))!)).to.include(python);

    const list = await open();
    await list.waitForSelector('[data-flag="console.nan"]');
    await list.close();
    const page = await open('#/flag/console.nan');
    const shown = await page.inputValue('[data-client-data]');
    for (const value of ['NaN', 'Infinity', '-Infinity', '9223372036854775807', '1.0', '1e+20']) {
      expect(shown).to.include(`: ${value}`);
    }
    expect(await page.inputValue('[data-check="0"] [data-value]')).to.equal('9223372036854775807');
    await page.fill('[data-client-data]', shown.replace('"web"', '"payments"'));
    await page.click('[data-save="client-data"]');
    await until('the edit is stored', async () => (await client.getClientData('console.nan')).owner === 'payments');
    const conditionsSaved = page.waitForResponse((r) => r.url().endsWith('/conditions'));
    await page.click('[data-save="conditions"]');
    expect((await conditionsSaved).status()).to.equal(200);
    const stored = serializeItem((await store.get('console.nan'))!);
    expect(stored).to.include(python.replace('"web"', '"payments"'));
    expect(stored).to.include('"value": 9223372036854775807');
    await page.close();
  });

  it('two tabs see each other’s changes, and changes made over RPC', async function () {
    await client.create('console.shared');
    const [a, b] = [await open(), await open()];
    await b.waitForSelector('[data-toggle="console.shared"]:not(:checked)');
    await a.click('[data-toggle="console.shared"]');
    await b.waitForSelector('[data-toggle="console.shared"]:checked', { timeout: 5000 });
    await client.disable('console.shared');
    await a.waitForSelector('[data-toggle="console.shared"]:not(:checked)', { timeout: 5000 });
    await b.waitForSelector('[data-toggle="console.shared"]:not(:checked)', { timeout: 5000 });
    await a.close();
    await b.close();
  });

  it('is read-only without --http-writes: toggles disabled, writes refused with 403', async function () {
    const readOnly = await startServerProcess(['--store', 'memory', '--http-port', '0']);
    try {
      const base = `http://127.0.0.1:${logRecords(readOnly).find((r) => r.msg === 'http listening')!.httpPort as number}/`;
      const rpc = new ThriftRPCFeatureFlagStore({ port: readOnly.port });
      await rpc.create('ro.flag');
      await rpc.close();
      const page = await browser.newPage();
      await page.goto(base);
      await page.waitForSelector('[data-toggle="ro.flag"]:disabled');
      expect(await page.textContent('header')).to.include('read-only');
      await page.close();
      const response = await fetch(`${base}api/flags/ro.flag/enable`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(response.status).to.equal(403);
    } finally {
      await readOnly.stop();
    }
  });
});
