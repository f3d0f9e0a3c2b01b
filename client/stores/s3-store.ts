import type * as S3 from '@aws-sdk/client-s3';
import { ConnectionError, FlipperError, StoreError, TimeoutError } from '../../shared';
import { validateTimeout } from './deadline';
import { SerializedFeatureFlagStore, type SerializedStoreOptions } from './serialized-store';

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
  private readonly timeout: number;
  private readonly listConcurrency: number;
  private reachable = true;

  constructor(s3Client: S3ClientLike, bucket: string, options: S3FeatureFlagStoreOptions = {}) {
    super(options);
    this.s3 = s3Client;
    this.bucket = bucket;
    this.prefix = options.prefix ?? '';
    this.pageSize = Math.min(1000, Math.max(1, Math.floor(options.pageSize ?? 1000)));
    this.timeout = validateTimeout(options.timeout ?? 5000, 'timeout');
    this.listConcurrency = Math.max(1, Math.floor(options.listConcurrency ?? 16));
    // Required here, not at the top: importing the library must not load the AWS SDK.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.sdk = require('@aws-sdk/client-s3') as typeof S3;
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
    await this.call('PutObject', (abortSignal) => this.s3.send(command, { abortSignal }));
  }

  protected async deleteRaw(featureName: string): Promise<void> {
    const command = new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + featureName });
    await this.call('DeleteObject', (abortSignal) => this.s3.send(command, { abortSignal }));
  }

  protected async listRaw(limit: number | undefined, offset: number): Promise<Array<[string, string]>> {
    if (limit === 0) return [];
    const names = await this.listNames(limit === undefined ? undefined : offset + limit);
    const page = names.slice(offset, limit === undefined ? undefined : offset + limit);
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

  /** One S3 call under the deadline, its failure turned into a typed error and logged once per outage. */
  private async call<T>(operation: string, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeout);
    try {
      const result = await send(controller.signal);
      if (!this.reachable) {
        this.reachable = true;
        this.logger?.info({ store: 's3', bucket: this.bucket }, 'S3 is reachable again');
      }
      return result;
    } catch (error) {
      const typed = this.toTypedError(operation, error, controller.signal.aborted);
      if (this.reachable && !(typed instanceof StoreError)) {
        this.reachable = false;
        this.logger?.warn({ store: 's3', bucket: this.bucket, err: typed }, 'S3 is unreachable');
      }
      throw typed;
    } finally {
      clearTimeout(timer);
    }
  }

  private toTypedError(operation: string, error: unknown, timedOut: boolean): FlipperError {
    if (error instanceof FlipperError) return error;
    if (timedOut)
      return new TimeoutError(
        `S3 ${operation} on bucket ${this.bucket} (timeout) did not finish within ${this.timeout} ms`,
      );
    const err = error as { name?: string; message?: string; code?: string };
    const message = `S3 ${operation} on bucket ${this.bucket} failed: ${err?.name ?? 'Error'}: ${err?.message ?? String(error)}`;
    if (typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code))
      return new ConnectionError(message, { cause: error });
    return new StoreError(message, { cause: error });
  }
}

function isNoSuchKey(error: unknown): boolean {
  const err = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  // A missing bucket is also a 404, but an error, not an absent flag.
  return err?.name === 'NoSuchKey' || (err?.$metadata?.httpStatusCode === 404 && err?.name !== 'NoSuchBucket');
}
