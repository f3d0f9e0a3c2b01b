import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// Importing the library must stay light: each driver is loaded only when its store is constructed.
const DRIVERS = ['better-sqlite3', 'pg', 'ioredis'];

function loadedDrivers(script: string): string[] {
  const out = execFileSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' });
  const files = JSON.parse(out) as string[];
  return DRIVERS.filter((d) => files.some((f) => f.includes(`/node_modules/${d}/`)));
}

describe('driver loading', function () {
  it('importing the main entry loads none of better-sqlite3, pg, ioredis', function () {
    const script = "require('./dist/client'); console.log(JSON.stringify(Object.keys(require.cache)))";
    expect(loadedDrivers(script)).to.deep.equal([]);
  });

  it('constructing a SQLiteFeatureFlagStore loads better-sqlite3 (so the check above can see it)', function () {
    const script =
      "const c = require('./dist/client'); new c.SQLiteFeatureFlagStore(':memory:');" +
      'console.log(JSON.stringify(Object.keys(require.cache)))';
    expect(loadedDrivers(script)).to.deep.equal(['better-sqlite3']);
  });
});
