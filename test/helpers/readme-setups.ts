import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { FakeConsul } from './fake-consul';
import { S3Server } from './s3-server';
import { MemoryFeatureFlagStore } from '../../client';
import { FlagServer } from '../../server/flag-server';
import { MemoryHistoryLog } from '../../server/history/memory-history-log';
import { DEFAULT_HISTORY_RETENTION } from '../../shared/model/history';
import { quietLogger } from './rpc-served';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runShell, shellBlock, startShellServer } from './readme-security-shell';

/**
 * What a README example needs around it, named by the `<!-- readme-test: NAME -->` comment above
 * its block: servers started on loopback before it runs and stopped after.
 */
export interface ReadmeSetup {
  before(): Promise<{ globals: Record<string, unknown>; after: () => Promise<void> }>;
}

const nothing: ReadmeSetup = {
  async before() {
    return { globals: {}, after: async () => {} };
  },
};

/** Sets environment variables for the example and gives back a function that restores them. */
function withEnv(values: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      // eslint-disable-next-line local/no-data-key-assignment -- the example's own variable names
      else process.env[k] = v;
    }
  };
}

/** s3rver on loopback with the example's bucket; the AWS SDK finds it through the environment. */
const s3: ReadmeSetup = {
  async before() {
    const server = await new S3Server().start();
    const client = new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await client.send(new CreateBucketCommand({ Bucket: 'my-flipper-bucket' }));
    client.destroy();
    const restore = withEnv({
      AWS_ENDPOINT_URL_S3: server.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    return { globals: {}, after: async () => (restore(), server.close()) };
  },
};

/** The fake Consul KV server on loopback, found through CONSUL_HTTP_ADDR. */
const consul: ReadmeSetup = {
  async before() {
    const fake = await new FakeConsul().start();
    const restore = withEnv({ CONSUL_HTTP_ADDR: `127.0.0.1:${fake.port}` });
    return { globals: {}, after: async () => (restore(), fake.close()) };
  },
};

/** A flag server (memory store) on loopback, found through FLIPPER_PORT as the RPC examples read it. */
const flagServer: ReadmeSetup = {
  async before() {
    // As `flipper-server --store memory` serves: with its history.
    const store = new MemoryFeatureFlagStore();
    const history = new MemoryHistoryLog(store, { retention: DEFAULT_HISTORY_RETENTION });
    await history.open();
    const server = new FlagServer({ store, port: 0, logger: quietLogger, history });
    const { port } = await server.listen();
    const restore = withEnv({ FLIPPER_PORT: String(port) });
    return { globals: {}, after: async () => (restore(), await server.close(), await history.close()) };
  },
};

/**
 * The Security section's worked example, as the README runs it: its certificate block in a temp
 * folder, then its server block (mutual TLS and a policy) in the background; the example finds the
 * files through FLIPPER_CERTS and the port through FLIPPER_PORT.
 */
const tlsServer: ReadmeSetup = {
  async before() {
    const dir = mkdtempSync(join(tmpdir(), 'flipper-readme-tls-'));
    await runShell(shellBlock('Security', 'certificates').code, dir);
    const port = await freePort();
    const server = await startShellServer(shellBlock('Security', 'server').code, dir, { FLIPPER_PORT: String(port) });
    const restore = withEnv({ FLIPPER_PORT: String(port), FLIPPER_CERTS: dir });
    return {
      globals: {},
      after: async () => {
        restore();
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const readmeSetups: Record<string, ReadmeSetup> = {
  none: nothing,
  s3,
  consul,
  'flag-server': flagServer,
  'tls-server': tlsServer,
};
