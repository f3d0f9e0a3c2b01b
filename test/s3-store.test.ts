import { expect } from 'chai';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { S3FeatureFlagStore, type S3ClientLike } from '../client';
import { describeStoreConformance, type FaultyBackend } from '../client/testing';
import { setOwn } from '../shared/own-keys';
import { S3Server } from './helpers/s3-server';
import { Leftovers } from './helpers/store-capabilities';

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

  const leftovers = new Leftovers();
  const faulty: FaultyBackend<S3FeatureFlagStore> = {
    makeStore: ({ host, port }, { logger }) => {
      const unusable = s3Client(`http://${host}:${port}`, { maxAttempts: 1 });
      return leftovers.keep(new S3FeatureFlagStore(unusable, 'bucket-x', { timeout: 300, logger }), () =>
        unusable.destroy(),
      );
    },
    withinMs: 2000,
    logsOutageOnce: true,
    release: leftovers.release,
  };

  // Pages of 2 keys, so every listing in the suite crosses ListObjectsV2 continuation tokens.
  describeStoreConformance('S3FeatureFlagStore on s3rver', {
    makeStore: async ({ logger }) => new S3FeatureFlagStore(s3, await newBucket(), { pageSize: 2, logger }),
    writeRaw: async (store, name, json) => {
      await s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: name, Body: json }));
    },
    readRaw: async (store, name) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: name })).catch((e: unknown) => {
        if ((e as Error).name === 'NoSuchKey') return undefined;
        throw e;
      });
      return object?.Body?.transformToString();
    },
    makeNeighbour: async ({ logger }) => new S3FeatureFlagStore(s3, await newBucket(), { logger }),
    makeSecondStore: (store, { logger }) => new S3FeatureFlagStore(s3, store.bucket, { logger }),
    notApplicable: {
      atomicWrites:
        's3rver ignores If-Match / If-None-Match, so conditional writes there are unconditional (AWS S3 honours them; see the README)',
    },
    unreachableBackend: faulty,
    hangingBackend: faulty,
  });

  describe('behaviour', function () {
    it('keeps each flag as one object at the bucket root, key = name, as the Python library does', async function () {
      const bucket = await newBucket();
      await new S3FeatureFlagStore(s3, bucket).create('checkout/v2', { isEnabled: true });
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      expect(listed.Contents?.map((o) => o.Key)).to.deep.equal(['checkout/v2']);
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'checkout/v2' }));
      expect(JSON.parse(await object.Body!.transformToString())).to.include({ feature_name: 'checkout/v2' });
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

    it('accepts a real S3Client (type check) and leaves it open on close', async function () {
      const bucket = await newBucket();
      const store: S3FeatureFlagStore = new S3FeatureFlagStore(s3, bucket);
      await store.close();
      await store.create('after-close');
      expect(await store.get('after-close')).to.not.equal(undefined);
    });
  });
});
