// With Redis down, an application checking 50 flags in a loop for 10 s, set up as the README says
// (an ioredis client with an 'error' listener, the client's default logger on stderr), prints at
// most a few lines: the outage once, nothing per flag or per call, nothing from ioredis.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unusedPort as closedPort } from '../client/testing/tcp-endpoints';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

const APP = (port: number, seconds: number) => `
const { Redis } = require('ioredis');
const { FeatureFlagClient, RedisFeatureFlagStore } = require(${JSON.stringify(join(ROOT, 'dist', 'client'))});

const redis = new Redis({ host: '127.0.0.1', port: ${port}, maxRetriesPerRequest: 1 });
redis.on('error', () => {}); // as the README says: the store reports outages itself, once
const features = new FeatureFlagClient(new RedisFeatureFlagStore(redis));

(async () => {
  const end = Date.now() + ${seconds * 1000};
  let checks = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 50; i++) {
      if (await features.isEnabled('flag-' + i)) throw new Error('on while Redis is down');
      checks++;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  redis.disconnect();
  process.stdout.write('checks ' + checks + '\\n');
})();
`;

describe('log noise while Redis is down', function () {
  this.timeout(60_000);

  it('50 flags checked in a loop for 10 s: at most a few log lines, none from ioredis', async function () {
    // Inside the project, so the app's require('ioredis') resolves.
    const dir = mkdtempSync(join(ROOT, 'dist', 'log-noise-'));
    try {
      writeFileSync(join(dir, 'app.js'), APP(await closedPort(), 10));
      const { stdout, stderr } = await run(process.execPath, [join(dir, 'app.js')], { cwd: dir });
      const checks = Number(/^checks (\d+)$/m.exec(stdout)?.[1] ?? 0);
      expect(checks, 'the loop ran').to.be.greaterThan(5_000);
      const lines = (stdout + stderr).split('\n').filter((l) => l !== '' && !l.startsWith('checks '));
      expect(lines.length, lines.join('\n')).to.be.within(1, 3);
      expect(lines.join('\n')).to.not.match(/ioredis|Unhandled error event/i);
      expect(lines[0]).to.include('the store is failing: flags return their defaults');
      // One error message, its cause not repeated after it.
      const { error } = JSON.parse(lines[0]) as { error: string };
      const words = error.split(': ');
      expect(new Set(words).size, error).to.equal(words.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
