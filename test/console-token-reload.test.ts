import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logRecords, startServerProcess, type ServerProcess } from './helpers/flag-server-process';

const FIRST = 'first-console-token-0123456789abcdef';
const SECOND = 'second-console-token-0123456789abcdef';

/** Waits (5 s at most) for a log line with this message, and returns it. */
async function logged(server: ServerProcess, msg: string, after: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = logRecords(server)
      .slice(after)
      .find((r) => r.msg === msg);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no "${msg}" line: ${server.lines.slice(after).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('flipper-server: SIGHUP reads --http-token-file again', function () {
  this.timeout(30_000);
  let dir: string;
  let server: ServerProcess;
  let base: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flipper-token-'));
    writeFileSync(join(dir, 'token'), `${FIRST}\n`, { mode: 0o600 });
    server = await startServerProcess([
      '--store',
      'memory',
      '--http-port',
      '0',
      '--http-writes',
      '--http-token-file',
      join(dir, 'token'),
    ]);
    const http = logRecords(server).find((r) => r.msg === 'http listening')!;
    base = `http://127.0.0.1:${http.httpPort as number}`;
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = (token: string) =>
    fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
    });
  const flags = (cookie: string) => fetch(`${base}/api/flags`, { headers: { Cookie: cookie } });

  it('a new token ends the sessions and replaces the old one; a bad file keeps the token in use', async () => {
    const first = await login(FIRST);
    expect(first.status).to.equal(200);
    const cookie = first.headers.get('set-cookie')!.split(';')[0];
    expect((await flags(cookie)).status).to.equal(200);

    writeFileSync(join(dir, 'token'), `${SECOND}\n`);
    let mark = server.lines.length;
    server.child.kill('SIGHUP');
    expect(await logged(server, 'new HTTP token: console sessions ended', mark)).to.include({ changed: true });
    expect((await flags(cookie)).status).to.equal(401);
    expect((await login(FIRST)).status).to.equal(401);
    expect((await login(SECOND)).status).to.equal(200);

    writeFileSync(join(dir, 'token'), 'too-short\n');
    mark = server.lines.length;
    server.child.kill('SIGHUP');
    const refused = await logged(server, 'could not reload the HTTP token: keeping the one in use', mark);
    expect(refused.error).to.match(/at least 16 characters/);
    expect((await login(SECOND)).status).to.equal(200);
    for (const line of server.lines) {
      expect(line).not.to.include(FIRST);
      expect(line).not.to.include(SECOND);
      expect(line).not.to.include('too-short');
    }
  });
});
