import { expect } from 'chai';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  Condition,
  ConnectionError,
  FeatureFlagClient,
  InvalidItemError,
  S3FeatureFlagStore,
  TimeoutError,
  type S3ClientLike,
} from '../client';
import { setOwn } from '../shared/own-keys';
import { recordingLogger } from './helpers/broken-store';
import { failure, silentLogger } from './helpers/controlled-store';
import { pythonItems } from './helpers/fixtures';
import { S3Server } from './helpers/s3-server';
import { describeStoreConformance } from './helpers/store-conformance';
import { SilentServer, unusedPort } from './helpers/tcp-faults';

let bucketSerial = 0;
const newBucketName = () => `flipper-${process.pid}-${bucketSerial++}`;

function s3Client(endpoint: string, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    ...extra,
  });
}

/** An S3Client that counts the commands it sends, by name. */
function counting(s3: S3Client): S3ClientLike & { sent: Record<string, number> } {
  const sent: Record<string, number> = {};
  return {
    sent,
    send(command: object, options?: { abortSignal?: AbortSignal }) {
      const name = command.constructor.name;
      setOwn(sent, name, (sent[name] ?? 0) + 1);
      return s3.send(command as GetObjectCommand, options);
    },
  };
}

describe('S3FeatureFlagStore', function () {
  let server: S3Server;
  let s3: S3Client;

  async function newBucket(): Promise<string> {
    const bucket = newBucketName();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    return bucket;
  }

  before(async function () {
    server = await new S3Server().start();
    s3 = s3Client(server.endpoint);
  });

  after(async function () {
    s3?.destroy();
    await server?.close();
  });

  // Pages of 2 keys, so every listing in the suite crosses ListObjectsV2 continuation tokens.
  describeStoreConformance('S3FeatureFlagStore on s3rver', {
    makeStore: async () => new S3FeatureFlagStore(s3, await newBucket(), { pageSize: 2, logger: silentLogger }),
    writeRaw: async (store, name, json) => {
      await s3.send(new PutObjectCommand({ Bucket: (store as S3FeatureFlagStore).bucket, Key: name, Body: json }));
    },
    makeNeighbour: async () => new S3FeatureFlagStore(s3, await newBucket(), { logger: silentLogger }),
  });

  describe('behaviour', function () {
    it('keeps each flag as one object at the bucket root, key = name, body = the Python JSON', async function () {
      const bucket = await newBucket();
      const client = new FeatureFlagClient(new S3FeatureFlagStore(s3, bucket), { logger: silentLogger });
      await client.create('checkout/v2', { isEnabled: true, clientData: { owner: 'growth' } });
      await client.addCondition('checkout/v2', new Condition({ is_admin: true }));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      expect(listed.Contents?.map((o) => o.Key)).to.deep.equal(['checkout/v2']);
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'checkout/v2' }));
      const stored = JSON.parse(await object.Body!.transformToString()) as Record<string, unknown>;
      expect(stored).to.have.all.keys('feature_name', 'is_enabled', 'meta');
      expect(stored).to.include({ feature_name: 'checkout/v2', is_enabled: true });
      expect((stored.meta as Record<string, unknown>).conditions).to.deep.equal([
        { is_admin: [{ variable: 'is_admin', value: true, operator: null }] },
      ]);
    });

    it('reads and evaluates what Python stored, and writes it back as an equal structure', async function () {
      const bucket = await newBucket();
      const store = new S3FeatureFlagStore(s3, bucket);
      const client = new FeatureFlagClient(store, { logger: silentLogger });
      for (const item of pythonItems()) {
        const python = JSON.parse(item.stored_json) as { feature_name: string };
        const name = python.feature_name;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: name, Body: item.stored_json }));
        for (const call of item.evaluations) {
          expect(await client.isEnabled(name, call.checks), name).to.equal(call.readme_result ?? call.python_result);
        }
        await store.setMeta(name, (await store.get(name))!.meta);
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: name }));
        expect(JSON.parse(await object.Body!.transformToString()), name).to.deep.equal(python);
      }
    });

    it('an object holding invalid JSON: get rejects InvalidItemError, list skips it with a log, others intact', async function () {
      const bucket = await newBucket();
      const logger = recordingLogger();
      const store = new S3FeatureFlagStore(s3, bucket, { logger });
      await store.create('a', { isEnabled: true });
      await store.create('c', { isEnabled: true });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'b', Body: '{"feature_name": "b", not json' }));
      expect(await failure(store.get('b'))).to.be.instanceOf(InvalidItemError);
      expect((await store.list()).map((i) => i.featureName)).to.deep.equal(['a', 'c']);
      expect(logger.lines.filter((l) => l.level === 'warn').map((l) => (l.obj as { flag: string }).flag)).to.deep.equal(
        ['b'],
      );
      const client = new FeatureFlagClient(store, { logger: silentLogger });
      expect(await client.isEnabled('b', {}, { default: true })).to.equal(true);
      expect(await client.isEnabled('a')).to.equal(true);
      expect((await store.get('c'))?.isEnabled).to.equal(true);
    });

    it('pages through ListObjectsV2 and stops once the requested page is known', async function () {
      const bucket = await newBucket();
      const names = Array.from({ length: 9 }, (_, i) => `flag-${i}`);
      const writer = new S3FeatureFlagStore(s3, bucket);
      for (const name of names) await writer.create(name);
      const client = counting(s3);
      const store = new S3FeatureFlagStore(client, bucket, { pageSize: 2 });
      expect((await store.list()).map((i) => i.featureName)).to.deep.equal(names);
      expect(client.sent.ListObjectsV2Command).to.equal(5);
      client.sent.ListObjectsV2Command = 0;
      client.sent.GetObjectCommand = 0;
      expect((await store.list({ offset: 1, limit: 2 })).map((i) => i.featureName)).to.deep.equal(names.slice(1, 3));
      expect(client.sent.ListObjectsV2Command).to.equal(2);
      expect(client.sent.GetObjectCommand).to.equal(2);
    });

    it('a prefix keeps two stores in one bucket apart', async function () {
      const bucket = await newBucket();
      const a = new S3FeatureFlagStore(s3, bucket, { prefix: 'team-a/' });
      const b = new S3FeatureFlagStore(s3, bucket, { prefix: 'team-b/' });
      await a.create('x', { isEnabled: true });
      expect(await b.get('x')).to.equal(undefined);
      expect(await b.list()).to.deep.equal([]);
      expect((await a.list()).map((i) => i.featureName)).to.deep.equal(['x']);
    });

    it('a refused connection rejects with ConnectionError, and the outage is logged once', async function () {
      const port = await unusedPort();
      const dead = s3Client(`http://127.0.0.1:${port}`, { maxAttempts: 1 });
      const logger = recordingLogger();
      const store = new S3FeatureFlagStore(dead, 'bucket-x', { logger });
      try {
        expect(await failure(store.get('a'))).to.be.instanceOf(ConnectionError);
        expect(await failure(store.create('a'))).to.be.instanceOf(ConnectionError);
        expect(logger.lines.filter((l) => l.level === 'warn')).to.have.length(1);
      } finally {
        dead.destroy();
      }
    });

    it('a server that never answers rejects with TimeoutError after the timeout', async function () {
      const silent = await new SilentServer().start();
      const stuck = s3Client(`http://127.0.0.1:${silent.port}`);
      const store = new S3FeatureFlagStore(stuck, 'bucket-x', { timeout: 200, logger: silentLogger });
      try {
        const started = Date.now();
        expect(await failure(store.get('a'))).to.be.instanceOf(TimeoutError);
        expect(Date.now() - started).to.be.below(5000);
      } finally {
        stuck.destroy();
        await silent.close();
      }
    });

    it('accepts a real S3Client (type check) and leaves it open on close', async function () {
      const bucket = await newBucket();
      const store: S3FeatureFlagStore = new S3FeatureFlagStore(s3, bucket);
      await store.close();
      await store.create('after-close');
      expect(await store.get('after-close')).to.not.equal(undefined);
    });
  });
});
