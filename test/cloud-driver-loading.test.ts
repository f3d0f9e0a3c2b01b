import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The cloud drivers are optional peers: importing the library must not load them.
const DRIVERS = ['@aws-sdk/client-s3', 'consul'];

function loadedDrivers(script: string): string[] {
  const out = execFileSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' });
  const files = JSON.parse(out) as string[];
  return DRIVERS.filter((d) => files.some((f) => f.includes(`/node_modules/${d}/`)));
}

const PRINT_LOADED = 'console.log(JSON.stringify(Object.keys(require.cache)))';

describe('cloud driver loading', function () {
  it('importing the main entry loads neither @aws-sdk/client-s3 nor consul', function () {
    expect(loadedDrivers(`require('./dist/client'); ${PRINT_LOADED}`)).to.deep.equal([]);
  });

  it('constructing an S3FeatureFlagStore loads @aws-sdk/client-s3 (so the check above can see it)', function () {
    const script = `const c = require('./dist/client'); new c.S3FeatureFlagStore({ send: async () => ({}) }, 'b'); ${PRINT_LOADED}`;
    expect(loadedDrivers(script)).to.deep.equal(['@aws-sdk/client-s3']);
  });

  it('constructing a ConsulFeatureFlagStore loads no driver: the application passes its consul client', function () {
    const script =
      "const c = require('./dist/client'); const kv = { get: async () => [], set: async () => true, del: async () => true };" +
      `new c.ConsulFeatureFlagStore({ kv }); ${PRINT_LOADED}`;
    expect(loadedDrivers(script)).to.deep.equal([]);
  });
});
