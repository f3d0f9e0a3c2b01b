import { expect } from 'chai';
import { Condition, FeatureFlagStoreItem, FeatureFlagStoreMeta } from '../shared';
import { itemToThrift, thriftTypes } from '../shared/thrift/mapping';
import {
  OutputBuffer,
  memoizeWrite,
  protocolClasses,
  type ProtocolName,
  type ProtocolWriter,
} from '../shared/thrift/wire';

type Writable = { write(out: ProtocolWriter): void };

/** The bytes of one message whose body is `struct` written `times` times in a row. */
function encode(protocol: ProtocolName, struct: Writable, times: number): string[] {
  const messages: string[] = [];
  const writer = new (protocolClasses(protocol).Writer)(
    new OutputBuffer(false, (bytes) => messages.push(bytes.toString('hex'))),
  );
  for (let i = 0; i < times; i++) {
    writer.writeMessageBegin('Get', 2, i);
    struct.write(writer);
    writer.writeMessageEnd();
    writer.flush();
  }
  return messages;
}

describe('memoizeWrite (reply items encoded once)', () => {
  const item = new FeatureFlagStoreItem(
    'checkout',
    true,
    new FeatureFlagStoreMeta({
      createdDate: 1_700_000_000,
      clientData: { owner: 'payments', note: 'é ✓' },
      conditions: [new Condition({ is_admin: true, plan__in: ['pro', 'team'] })],
    }),
  );

  for (const protocol of ['binary', 'compact'] as const) {
    it(`writes byte for byte what the plain generated struct writes, every time (${protocol})`, () => {
      const plain = new (thriftTypes().FeatureFlagStoreItem)(itemToThrift(item)) as unknown as Writable;
      const memoized = itemToThrift(item) as unknown as Writable;
      // The first write encodes, the next ones copy: each is checked against a fresh plain encoding.
      expect(encode(protocol, memoized, 3)).to.deep.equal(encode(protocol, plain, 3));
    });
  }

  it('leaves the struct fields as they were, and writes through other writers field by field as before', () => {
    const struct = new (thriftTypes().FeatureFlagStoreItem)({ feature_name: 'a', is_enabled: false });
    memoizeWrite(struct);
    expect(Object.keys(struct)).to.deep.equal(['feature_name', 'is_enabled', 'meta', 'revision']);
    expect(JSON.parse(JSON.stringify(struct))).to.deep.equal({
      feature_name: 'a',
      is_enabled: false,
      meta: null,
      revision: null,
    });
    const calls: string[] = [];
    const recorder = new Proxy({} as ProtocolWriter, {
      get: (_target, name) => (name === 'writeRaw' || name === 'capture' ? undefined : () => calls.push(String(name))),
    });
    (struct as unknown as Writable).write(recorder);
    (struct as unknown as Writable).write(recorder);
    expect(calls.filter((name) => name === 'writeString')).to.have.length(2);
  });
});
