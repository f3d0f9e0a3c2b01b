import type * as S3 from '@aws-sdk/client-s3';
import { slicePage } from '../../shared/page';
import { BackendCallPath } from '../calls/backend-call-path';
import { validateTimeout } from '../calls/deadline';
import { AWS_S3 } from '../calls/drivers/aws-s3';
import { requireOptionalPeer } from '../calls/drivers/optional-peer';
import { SerializedFeatureFlagStore, type SerializedStoreOptions, type StoredVersion } from './serialized-store';

/** The part of `S3Client` (from `@aws-sdk/client-s3`) the store uses; an `S3Client` fits. */
export interface S3ClientLike {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

export interface S3FeatureFlagStoreOptions extends SerializedStoreOptions {
  /**
   * Prepended to each flag's object key. Default `''`: the bucket root, as the Python library
   * writes; set one only if no Python service shares the bucket.
   */
  prefix?: string;
  /** Keys asked for per `ListObjectsV2` page, 1 to 1000. Default 1000 (S3's maximum). */
  pageSize?: number;
  /** Deadline of each S3 call, retries included, in milliseconds. Default 5000. */
  timeout?: number;
  /** Objects fetched at once while listing. Default 16. */
  listConcurrency?: number;
}

/**
 * Keeps each flag as one object at the bucket root, key = flag name, body = the Python library's
 * JSON (Python's `S3FeatureFlagStore` layout). Every read is an S3 request: use it as a replica or
 * backup, or wrap it in `CachedFeatureFlagStore`. Listing pages through `ListObjectsV2`, which S3
 * answers in UTF-8 byte order of keys, so only the keys up to the requested page are listed.
 *
 * The application passes its own `S3Client` and keeps owning it. `@aws-sdk/client-s3` is loaded
 * when the first store is constructed, never when the library is imported.
 */
export class S3FeatureFlagStore extends SerializedFeatureFlagStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly s3: S3ClientLike;
  private readonly sdk: typeof S3;
  private readonly pageSize: number;
  private readonly listConcurrency: number;
  private readonly calls: BackendCallPath;

  constructor(s3Client: S3ClientLike, bucket: string, options: S3FeatureFlagStoreOptions = {}) {
    super(options);
    this.s3 = s3Client;
    this.bucket = bucket;
    this.prefix = options.prefix ?? '';
    this.pageSize = Math.min(1000, Math.max(1, Math.floor(options.pageSize ?? 1000)));
    this.calls = new BackendCallPath(AWS_S3, {
      target: ` on bucket ${bucket}`,
      bindings: { store: 's3', bucket },
      deadline: { ms: validateTimeout(options.timeout ?? 5000, 'timeout'), option: 'timeout' },
      logger: this.logger,
    });
    this.listConcurrency = Math.max(1, Math.floor(options.listConcurrency ?? 16));
    // Required here, not at the top: importing the library must not load the AWS SDK.
    this.sdk = requireOptionalPeer<typeof S3>('@aws-sdk/client-s3', 'S3FeatureFlagStore');
  }

  protected async readRaw(featureName: string): Promise<string | undefined> {
    const command = new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + featureName });
    return this.call('GetObject', async (abortSignal) => {
      try {
        const output = (await this.s3.send(command, { abortSignal })) as S3.GetObjectCommandOutput;
        return await output.Body!.transformToString('utf-8');
      } catch (error) {
        if (isNoSuchKey(error)) return undefined;
        throw error;
      }
    });
  }

  protected async writeRaw(featureName: string, json: string): Promise<void> {
    const command = new this.sdk.PutObjectCommand({
      Bucket: this.bucket,
      Key: this.prefix + featureName,
      Body: json,
      ContentType: 'application/json',
    });
    await this.call('PutObject', (abortSignal) => this.s3.send(command, { abortSignal }), true);
  }

  /** The object's text and its `ETag`, which a conditional `PutObject` compares. */
  protected override async readForUpdate(featureName: string): Promise<StoredVersion | undefined> {
    const command = new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + featureName });
    return this.call('GetObject', async (abortSignal) => {
      try {
        const output = (await this.s3.send(command, { abortSignal })) as S3.GetObjectCommandOutput;
        return { raw: await output.Body!.transformToString('utf-8'), token: output.ETag };
      } catch (error) {
        if (isNoSuchKey(error)) return undefined;
        throw error;
      }
    });
  }

  /**
   * A conditional `PutObject`: `If-Match: <ETag>`, or `If-None-Match: *` for a flag that must not
   * exist yet. S3 answers 412 (or 409 for a concurrent conditional write) when the object changed.
   * A service that ignores these headers (older S3-compatible servers, s3rver) writes
   * unconditionally: then concurrent read-modify-writes can lose each other's changes.
   */
  protected override async writeIfUnchanged(
    featureName: string,
    json: string,
    expected: StoredVersion | undefined,
  ): Promise<boolean> {
    const command = new this.sdk.PutObjectCommand({
      Bucket: this.bucket,
      Key: this.prefix + featureName,
      Body: json,
      ContentType: 'application/json',
      ...(expected === undefined ? { IfNoneMatch: '*' } : { IfMatch: String(expected.token) }),
    });
    try {
      await this.call('PutObject (conditional)', (abortSignal) => this.s3.send(command, { abortSignal }), true);
      return true;
    } catch (error) {
      const status = (error as { cause?: { $metadata?: { httpStatusCode?: number } } }).cause?.$metadata
        ?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw error;
    }
  }

  protected async deleteRaw(featureName: string): Promise<void> {
    const command = new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + featureName });
    await this.call('DeleteObject', (abortSignal) => this.s3.send(command, { abortSignal }), true);
  }

  protected async listRaw(limit: number | undefined, offset: number): Promise<Array<[string, string]>> {
    if (limit === 0) return [];
    const names = await this.listNames(limit === undefined ? undefined : offset + limit);
    const page = slicePage(names, limit, offset);
    const bodies = new Array<string | undefined>(page.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < page.length; i = next++) bodies[i] = await this.readRaw(page[i]);
    };
    await Promise.all(Array.from({ length: Math.min(this.listConcurrency, page.length) }, worker));
    // An object deleted between the listing and its read is simply gone.
    return page.flatMap((name, i) => (bodies[i] === undefined ? [] : [[name, bodies[i]!] as [string, string]]));
  }

  /** Flag names in S3's order (UTF-8 bytes), stopping once `wanted` are known. */
  private async listNames(wanted: number | undefined): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const command = new this.sdk.ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: this.prefix || undefined,
        MaxKeys: this.pageSize,
        ContinuationToken: token,
      });
      const output = (await this.call('ListObjectsV2', (abortSignal) =>
        this.s3.send(command, { abortSignal }),
      )) as S3.ListObjectsV2CommandOutput;
      for (const object of output.Contents ?? []) {
        if (object.Key !== undefined && object.Key.length > this.prefix.length) {
          names.push(object.Key.slice(this.prefix.length));
        }
      }
      token = output.IsTruncated ? output.NextContinuationToken : undefined;
    } while (token !== undefined && (wanted === undefined || names.length < wanted));
    return names;
  }

  /**
   * One S3 call through the backend call path: past the deadline its signal aborts the request (the
   * SDK's retries included), then the typed error and the reachability log.
   */
  private call<T>(
    operation: string,
    send: (abortSignal: AbortSignal | undefined) => Promise<T>,
    write = false,
  ): Promise<T> {
    return this.calls.call(operation, send, { write });
  }
}

function isNoSuchKey(error: unknown): boolean {
  const err = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  // A missing bucket is also a 404, but an error, not an absent flag.
  return err?.name === 'NoSuchKey' || (err?.$metadata?.httpStatusCode === 404 && err?.name !== 'NoSuchBucket');
}
