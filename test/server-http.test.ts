import { expect } from 'chai';
import { FeatureFlagClient, ThriftRPCFeatureFlagStore } from '../client';
import { quietLogger } from './helpers/rpc-served';
import { logRecords, startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { parsePrometheusText } from './helpers/prometheus-text';
import { TcpProxy } from './helpers/tcp-faults';
import { CLI } from './helpers/flag-server-process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli } from '../server/cli-options';

/** The HTTP ports a server process logged. */
function httpPorts(server: ServerProcess): { httpPort?: number; metricsPort?: number; host?: string } {
  const line = logRecords(server).find((r) => r.msg === 'http listening');
  return (line ?? {}) as { httpPort?: number; metricsPort?: number; host?: string };
}

async function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string; type: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') ?? '' };
}

async function scrape(port: number) {
  const { status, body, type } = await get(port, '/metrics');
  expect(status).to.equal(200);
  expect(type).to.match(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(body);
}

describe('flipper-server health and metrics over HTTP', function () {
  this.timeout(60_000);
  const servers: ServerProcess[] = [];
  const start = async (args: string[]) => {
    const server = await startServerProcess(args);
    servers.push(server);
    return server;
  };

  afterEach(async function () {
    for (const server of servers.splice(0)) await server.stop();
  });

  it('has no HTTP listener unless asked', async function () {
    const server = await start(['--store', 'memory']);
    expect(logRecords(server).some((r) => r.msg === 'http listening')).to.equal(false);
  });

  it('--http-port: /healthz and /readyz answer 200 on loopback; other paths 404, other methods 405', async function () {
    const server = await start(['--store', 'memory', '--http-port', '0']);
    const { httpPort, host } = httpPorts(server);
    expect(host).to.equal('127.0.0.1');
    expect(await get(httpPort!, '/healthz')).to.include({ status: 200, body: 'ok\n' });
    expect(await get(httpPort!, '/readyz')).to.include({ status: 200, body: 'ok\n' });
    expect((await get(httpPort!, '/nothing')).status).to.equal(404);
    expect((await get(httpPort!, '/healthz', 'POST')).status).to.equal(405);
    expect((await get(httpPort!, '/healthz', 'HEAD')).status).to.equal(200);
  });

  it('/metrics parses as Prometheus text and its counters move with calls', async function () {
    const server = await start(['--store', 'memory', '--http-port', '0']);
    const { httpPort } = httpPorts(server);
    const store = new ThriftRPCFeatureFlagStore({ port: server.port });
    const client = new FeatureFlagClient(store, { logger: quietLogger });
    try {
      await client.create('m.a', { isEnabled: true });
      await client.create('m.b');
      const before = await scrape(httpPort!);
      expect(before.types.get('flipper_rpc_calls_total')).to.equal('counter');
      expect(before.types.get('flipper_rpc_duration_seconds')).to.equal('histogram');
      expect(before.types.get('process_cpu_user_seconds_total')).to.equal('counter');
      expect(before.value('flipper_flags')).to.equal(2);
      expect(before.value('flipper_open_connections')).to.equal(1);
      expect(before.value('flipper_change_feed_waiting_pollers')).to.equal(0);
      const calls = (b: typeof before, method: string) => b.value('flipper_rpc_calls_total', { method }) ?? 0;

      for (let i = 0; i < 7; i++) await store.get('m.a');
      for (let i = 0; i < 3; i++) await store.get('m.missing');
      await store.list();
      const after = await scrape(httpPort!);
      expect(calls(after, 'Get') - calls(before, 'Get')).to.equal(10);
      // The RPC store lists with ListPage (a page at a time).
      expect(calls(after, 'ListPage') - calls(before, 'ListPage')).to.equal(1);
      expect(after.value('flipper_rpc_duration_seconds_count', { method: 'ListPage' })).to.equal(
        calls(after, 'ListPage'),
      );
      const notFound = (b: typeof before) =>
        b.value('flipper_rpc_errors_total', { method: 'Get', code: 'NOT_FOUND' }) ?? 0;
      expect(notFound(after) - notFound(before)).to.equal(3);
      const histogramCount = (b: typeof before) =>
        b.value('flipper_rpc_duration_seconds_count', { method: 'Get' }) ?? 0;
      expect(histogramCount(after) - histogramCount(before)).to.equal(10);
      expect(after.value('flipper_rpc_duration_seconds_bucket', { method: 'Get', le: '+Inf' })).to.equal(
        histogramCount(after),
      );
      const storeCalls = (b: typeof before, method: string) =>
        b.value('flipper_store_duration_seconds_count', { method }) ?? 0;
      // The memory store answers Get from memory (peek): store calls are those that go to the store.
      expect(storeCalls(after, 'list') - storeCalls(before, 'list')).to.be.at.least(1);
      expect(storeCalls(before, 'create')).to.equal(2);
    } finally {
      await store.close();
    }
  });

  it('--metrics-port: /metrics there and not on the HTTP port; probes on both', async function () {
    const server = await start(['--store', 'memory', '--http-port', '0', '--metrics-port', '0']);
    const { httpPort, metricsPort } = httpPorts(server);
    expect(metricsPort).to.be.a('number').and.not.equal(httpPort);
    await scrape(metricsPort!);
    expect((await get(httpPort!, '/metrics')).status).to.equal(404);
    expect((await get(metricsPort!, '/readyz')).status).to.equal(200);
    expect((await get(httpPort!, '/healthz')).status).to.equal(200);
  });

  it('/readyz is 503 with the reason while the store does not answer, 200 again when it does', async function () {
    const proxy = await new TcpProxy(6379).start();
    try {
      const baseKey = `readyz-${process.pid}-${Date.now()}`;
      const server = await start([
        '--store',
        `redis://127.0.0.1:${proxy.port}/0`,
        '--base-key',
        baseKey,
        '--http-port',
        '0',
        '--ready-timeout',
        '0.3',
      ]);
      const { httpPort } = httpPorts(server);
      expect((await get(httpPort!, '/readyz')).status).to.equal(200);
      proxy.stall();
      const stalled = await get(httpPort!, '/readyz');
      expect(stalled.status).to.equal(503);
      expect(stalled.body).to.equal('not ready: the store did not finish within 300 ms\n');
      expect((await get(httpPort!, '/healthz')).status).to.equal(200);
      proxy.resume();
      let ready = 0;
      for (let i = 0; i < 50 && ready !== 200; i++) {
        ready = (await get(httpPort!, '/readyz')).status;
        if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready).to.equal(200);
    } finally {
      await proxy.stop();
    }
  });

  it('a bad --http-port, --http-writes beyond loopback without a token, or a bad token setting is a usage error (exit 2)', async function () {
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [['--http-port', 'eighty'], {}, /--http-port/],
      [
        ['--http-port', '0', '--http-host', '0.0.0.0', '--http-writes'],
        {},
        /--http-writes needs --http-host on loopback \(127.0.0.1, ::1 or localhost\), or a login token/,
      ],
      [['--http-port', '0', '--metrics-auth'], {}, /--metrics-auth needs the HTTP token/],
      [['--http-port', '0'], { FLIPPER_HTTP_TOKEN: 'short' }, /FLIPPER_HTTP_TOKEN: the HTTP token must be at least 16/],
      [['--http-port', '0', '--http-token-file', '/nonexistent/token'], {}, /cannot read the HTTP token file/],
    ];
    for (const [args, env, message] of cases) {
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [CLI, '--store', 'memory', ...args],
          { env: { ...process.env, ...env } },
          (_e, _out, stderr) => resolve({ code: child.exitCode, stderr }),
        );
      });
      expect(result.code, args.join(' ')).to.equal(2);
      expect(result.stderr).to.match(message);
    }
  });

  it('with a token, --http-writes may serve beyond loopback; the token itself is never in a log line', async function () {
    const token = 'server-http-token-' + 'f'.repeat(32);
    const options = parseCli(['--http-port', '0', '--http-host', '0.0.0.0', '--http-writes', '--metrics-auth'], {
      FLIPPER_HTTP_TOKEN: token,
    });
    expect(options).to.include({ httpWrites: true, httpHost: '0.0.0.0', metricsAuth: true });
    expect(options.httpToken!.matches(token)).to.equal(true);

    const dir = mkdtempSync(join(tmpdir(), 'server-http-token-'));
    try {
      writeFileSync(join(dir, 'token'), `${token}\n`);
      const server = await start([
        '--store',
        'memory',
        '--http-port',
        '0',
        '--http-writes',
        '--metrics-auth',
        '--http-token-file',
        join(dir, 'token'),
        '--log-level',
        'trace',
      ]);
      const { httpPort } = httpPorts(server);
      expect((await get(httpPort!, '/metrics')).status).to.equal(401);
      const authorized = await fetch(`http://127.0.0.1:${httpPort}/readyz`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(authorized.status).to.equal(200);
      const login = await fetch(`http://127.0.0.1:${httpPort}/api/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token }),
      });
      expect(login.status).to.equal(200);
      await server.stop();
      expect(server.lines.join('\n')).not.to.include(token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
