import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';

/* eslint-disable @typescript-eslint/no-require-imports */
// s3rver ships no types; these are the parts used here.
type S3rverInstance = {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  store: unknown;
  context: { store: unknown };
};
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
type StoreClass = new (root: string) => {
  rootDirectory: string;
  getBucketPath(bucket: string): string;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<unknown>;
};
const S3rver = require('s3rver') as S3rverClass;
const FilesystemStore = require('s3rver/lib/stores/filesystem') as StoreClass;
const S3Object = require('s3rver/lib/models/object') as new (
  bucket: string,
  key: string,
  content: null,
  metadata: unknown,
) => unknown;
/* eslint-enable @typescript-eslint/no-require-imports */

const SUFFIX = '%s._S3rver_%s';
/** Hex characters per directory level: with s3rver's suffixes a file name stays under 255 bytes. */
const CHUNK = 200;

/** A key as path segments: its UTF-8 bytes in hex, cut into levels; `~` sorts a level after its files. */
function keySegments(key: string): string[] {
  const hex = Buffer.from(key, 'utf8').toString('hex');
  const segments: string[] = [];
  for (let i = 0; i < hex.length; i += CHUNK) segments.push(hex.slice(i, i + CHUNK));
  return segments.map((s, i) => (i < segments.length - 1 ? `${s}~` : s));
}

function keyFromSegments(segments: string[]): string {
  return Buffer.from(segments.map((s) => s.replace(/~$/, '')).join(''), 'hex').toString('utf8');
}

/**
 * s3rver's file store keeps each object in a file named after its key, so a key over ~240 bytes
 * crashes the server (ENAMETOOLONG on an unhandled stream error) and listings come in file-name
 * order, not S3's UTF-8 byte order (`a-1` before `a`), with pages that then lose keys. This store
 * names files by the key's hex bytes (any S3 key fits, and file-name order is byte order) and
 * lists as S3 does; s3rver's HTTP, XML and signature handling are used unchanged.
 */
class ByteOrderedStore extends FilesystemStore {
  override getResourcePath(bucket: string, key: string | undefined, resource: string): string {
    if (!key) return super.getResourcePath(bucket, key, resource);
    const segments = keySegments(key);
    const last = format(SUFFIX, segments.pop(), resource);
    return join(this.rootDirectory, bucket, ...segments, last);
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    for (const resource of ['object', 'object.md5', 'metadata.json']) {
      try {
        unlinkSync(this.getResourcePath(bucket, key, resource));
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOENT') throw error;
      }
    }
    const dirs = keySegments(key).slice(0, -1);
    while (dirs.length > 0) {
      const dir = join(this.getBucketPath(bucket), ...dirs);
      if (readdirSync(dir).length > 0) break;
      rmdirSync(dir);
      dirs.pop();
    }
  }

  async listObjects(
    bucket: string,
    options: { prefix?: string; startAfter?: string; maxKeys?: number; delimiter?: string },
  ): Promise<{ objects: unknown[]; commonPrefixes: string[]; isTruncated: boolean }> {
    const { prefix = '', startAfter = '', maxKeys = Infinity } = options;
    const after = Buffer.from(startAfter, 'utf8');
    const keys: string[] = [];
    const walk = (dir: string, segments: string[]) => {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          if (name.endsWith('~')) walk(path, [...segments, name]);
        } else if (name.endsWith('._S3rver_object') && !name.startsWith('.')) {
          keys.push(keyFromSegments([...segments, name.slice(0, -'._S3rver_object'.length)]));
        }
      }
    };
    walk(this.getBucketPath(bucket), []);
    const selected = keys
      .filter((k) => k.startsWith(prefix) && Buffer.compare(Buffer.from(k, 'utf8'), after) > 0)
      .sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    const page = selected.slice(0, maxKeys);
    const objects = await Promise.all(
      page.map(async (key) => new S3Object(bucket, key, null, await this.getMetadata(bucket, key))),
    );
    return { objects, commonPrefixes: [], isTruncated: selected.length > page.length };
  }
}

/**
 * s3rver in a child process on a loopback port, with a throwaway directory; credentials
 * `S3RVER`/`S3RVER`, region us-east-1. A child because s3rver makes its ListObjectsV2
 * continuation tokens with DES, which Node 17+ (OpenSSL 3) offers only under
 * `--openssl-legacy-provider`, a flag that should not be forced on the whole test run; and so that
 * an s3rver crash cannot take the test run down with it.
 */
export class S3Server {
  port = 0;
  private readonly directory = mkdtempSync(join(tmpdir(), 'flipper-s3rver-'));
  private child?: ChildProcess;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const child = spawn(process.execPath, ['--openssl-legacy-provider', __filename, this.directory], {
      // stdin stays open while this process lives: the child exits when it closes (see serve()).
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('s3rver did not start within 10 s')), 10_000);
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /^listening (\d+)$/m.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited with ${String(code)} before listening`));
      });
    });
    return this;
  }

  async close(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** Child side: serve the directory given on the command line until SIGTERM. */
async function serve(directory: string): Promise<void> {
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  server.store = server.context.store = new ByteOrderedStore(directory);
  const { port } = await server.run();
  process.stdout.write(`listening ${port}\n`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  // The test run ended without closing us (mocha --exit, a crash): do not outlive it.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

if (require.main === module) void serve(process.argv[2]);
