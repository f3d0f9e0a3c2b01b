// A generated client the application made itself, from the IDL the package ships, with the Debian
// compiler: its exceptions are instances of its own classes, never of the package's, so "not
// found" must be recognised by what the server answered, not by `instanceof`.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureFlagClient, FlagDoesNotExistError, MemoryFeatureFlagStore, ThriftRPCFeatureFlagStore } from '../client';
import { failure } from './helpers/controlled-store';
import { serve, type Served } from './helpers/rpc-served';

const ROOT = join(__dirname, '..', '..');

interface NpmThrift {
  createConnection(host: string, port: number, options: object): { on(e: string, f: () => void): void; end(): void };
  createClient(service: unknown, connection: unknown): unknown;
  TBufferedTransport: unknown;
  TBinaryProtocol: unknown;
}

describe("ThriftRPCFeatureFlagStore with the application's own generated client", function () {
  this.timeout(30_000);
  // Inside dist/, so the generated code's require('thrift') resolves from this project's node_modules.
  let dir: string;
  let served: Served;
  let connection: { end(): void };
  let features: FeatureFlagClient;
  let store: ThriftRPCFeatureFlagStore;

  before(async function () {
    dir = mkdtempSync(join(ROOT, 'dist', 'app-gen-'));
    execFileSync('thrift', ['--gen', 'js:node', '-out', dir, join(ROOT, 'thrift', 'feature_flag_store.thrift')]);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- npm thrift, as an application uses it
    const thrift = require('thrift') as NpmThrift;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the code generated just above
    const service = require(join(dir, 'FeatureFlagStore')) as unknown;
    served = await serve(new MemoryFeatureFlagStore());
    const conn = thrift.createConnection('127.0.0.1', served.port, {
      transport: thrift.TBufferedTransport,
      protocol: thrift.TBinaryProtocol,
    });
    conn.on('error', () => {});
    connection = conn;
    store = new ThriftRPCFeatureFlagStore(thrift.createClient(service, conn) as never, { timeout: 2000 });
    features = new FeatureFlagClient(store);
  });

  after(async function () {
    await store?.close();
    connection?.end();
    await served?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is not the package generated code (so instanceof of the package classes would fail)', function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ours = require('../gen-nodejs/feature_flag_store_types') as { FlipperException: unknown };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const theirs = require(join(dir, 'feature_flag_store_types')) as { FlipperException: unknown };
    expect(theirs.FlipperException).to.not.equal(ours.FlipperException);
  });

  it('a missing flag: get is undefined, exists is false, isEnabled the default', async function () {
    expect(await store.get('missing')).to.equal(undefined);
    expect(await features.exists('missing')).to.equal(false);
    expect(await features.isEnabled('missing', undefined, { default: true })).to.equal(true);
  });

  it('a change to a missing flag is FlagDoesNotExistError, not StoreError', async function () {
    expect(await failure(features.enable('missing'))).to.be.instanceOf(FlagDoesNotExistError);
    expect(await failure(features.setClientData('missing', { a: 1 }))).to.be.instanceOf(FlagDoesNotExistError);
  });

  it('works for flags that exist', async function () {
    await features.create('present', { isEnabled: true });
    expect(await features.exists('present')).to.equal(true);
    expect(await features.isEnabled('present')).to.equal(true);
  });
});
