import { expect } from 'chai';
import { S3FeatureFlagStore, type S3ClientLike } from '../client';

/**
 * An S3 that honours conditional PutObject as AWS does (s3rver, used by the other S3 tests,
 * ignores If-Match and If-None-Match): 412 PreconditionFailed when the ETag no longer matches.
 */
class ConditionalS3 implements S3ClientLike {
  readonly objects = new Map<string, { body: string; etag: string }>();
  private version = 0;
  refused = 0;

  async send(command: object): Promise<unknown> {
    const name = command.constructor.name;
    const input = (command as { input: Record<string, string | undefined> }).input;
    const key = input.Key!;
    const current = this.objects.get(key);
    if (name === 'GetObjectCommand') {
      if (!current)
        throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
      const body = current.body;
      return { Body: { transformToString: async () => body }, ETag: current.etag };
    }
    if (name === 'PutObjectCommand') {
      const mismatch =
        (input.IfMatch !== undefined && current?.etag !== input.IfMatch) ||
        (input.IfNoneMatch === '*' && current !== undefined);
      if (mismatch) {
        this.refused++;
        throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
          name: 'PreconditionFailed',
          $metadata: { httpStatusCode: 412 },
        });
      }
      this.objects.set(key, { body: String(input.Body), etag: `"${++this.version}"` });
      return {};
    }
    throw new Error(`unexpected ${name}`);
  }
}

describe('S3FeatureFlagStore conditional writes (If-Match / If-None-Match)', function () {
  it('a PutObject refused with 412 is a conflict: update reads again and re-applies its change', async function () {
    const s3 = new ConditionalS3();
    const store = new S3FeatureFlagStore(s3, 'bucket');
    await store.create('f', { clientData: { base: 1 } });
    let calls = 0;
    const result = await store.update(
      'f',
      (item) => {
        calls++;
        // First attempt only: another writer replaces the object between our read and our write.
        if (calls === 1) {
          const other = JSON.parse(s3.objects.get('f')!.body) as { meta: { client_data: object } };
          other.meta.client_data = { base: 1, theirs: true };
          s3.objects.set('f', { body: JSON.stringify(other), etag: '"theirs"' });
        }
        return item.withMeta(item.meta.with({ clientData: { ...item.meta.clientData, mine: calls } }));
      },
      { random: () => 0 },
    );
    expect(s3.refused).to.equal(1);
    expect(calls).to.equal(2);
    expect(result.meta.clientData).to.deep.equal({ base: 1, theirs: true, mine: 2 });
    expect(JSON.parse(s3.objects.get('f')!.body).meta.client_data).to.deep.equal({ base: 1, theirs: true, mine: 2 });
  });

  it('set on a missing flag uses If-None-Match: *, so it never replaces a flag created meanwhile', async function () {
    const s3 = new ConditionalS3();
    const store = new S3FeatureFlagStore(s3, 'bucket');
    const other = new S3FeatureFlagStore(s3, 'bucket');
    const send = s3.send.bind(s3);
    let interfered = false;
    s3.send = async (command: object) => {
      const input = (command as { input: { IfNoneMatch?: string } }).input;
      if (!interfered && input.IfNoneMatch === '*') {
        // Another writer creates the flag, with client data, after our read found none.
        interfered = true;
        await other.create('new', { clientData: { theirs: true } });
      }
      return send(command);
    };
    await store.set('new', true);
    expect(s3.refused).to.equal(1);
    const stored = JSON.parse(s3.objects.get('new')!.body) as { is_enabled: boolean; meta: { client_data: object } };
    expect(stored.is_enabled).to.equal(true);
    expect(stored.meta.client_data).to.deep.equal({ theirs: true });
  });
});
