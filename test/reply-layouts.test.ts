import { expect } from 'chai';
import { Condition, FeatureFlagStoreItem, FeatureFlagStoreMeta, FlagDoesNotExistError, StoreError } from '../client';
import { InvalidArgumentError } from '../shared';
import { errorToThrift, itemToThrift, thriftTypes, type ThriftException } from '../shared/thrift/mapping';
import type { Processor, Result } from '../shared/thrift/processor';
import { writeFlipperException } from '../shared/thrift/replies/exception-replies';
import { withFastGet } from '../shared/thrift/replies/fast-get';
import { OutputBuffer, protocolClasses, type ProtocolName, type ProtocolWriter } from '../shared/thrift/wire';
import { encodeCall } from './helpers/raw-thrift';
import { listPageReplyFrame, listReplyFrame } from '../server/list-reply';
import { memoizedBytes } from '../shared/thrift/wire/memoized-write';

// The generated service (Debian's compiler), whose FeatureFlagStore_<Method>_result structs are
// the reference: they are not exported, so its Processor writes them for us. npm thrift's own
// protocols write its side, so neither side of a comparison uses our writers only. The copy in
// dist/gen-nodejs is the one mapping.ts loads, so the processor sees our FlipperException as its own.
/* eslint-disable @typescript-eslint/no-require-imports */
const generated = require('../gen-nodejs/FeatureFlagStore') as {
  Processor: new (handler: object) => Processor;
};
const thrift = require('thrift') as Record<string, new (...args: unknown[]) => ProtocolWriter & { flush(): void }>;
/* eslint-enable @typescript-eslint/no-require-imports */

const METHODS = [
  'Create',
  'Get',
  'Set',
  'Delete',
  'List',
  'SetMeta',
  'SetIf',
  'SetMetaIf',
  'ListPage',
  'GetSnapshot',
  'WaitForChanges',
  'SetWriteContext',
  'History',
  'Rollback',
] as const;
const PROTOCOLS: ProtocolName[] = ['binary', 'compact'];
const SEQID = 0x1234567;

type Answer = (result: Result<unknown>) => void;

/** A handler answering every method of the service with `answer` (callback style, as the server's). */
function handlerAnswering(answer: Answer): object {
  const method = (...args: unknown[]) => answer(args[args.length - 1] as Result<unknown>);
  // Each method takes its arguments and a callback, so the generated code uses the callback style.
  return Object.fromEntries(
    METHODS.map((name) => [name, Object.defineProperty(method.bind(null), 'length', { value: 9 })]),
  );
}

/** A call of `method` with no arguments: the handlers here answer without reading them. */
function call(protocol: ProtocolName, method: string): Buffer {
  return encodeCall({ transport: 'buffered', protocol }, method, SEQID, () => {});
}

function reader(protocol: ProtocolName, bytes: Buffer) {
  return new (protocolClasses(protocol).Reader)(bytes);
}

/** What the generated processor writes for `method` when the handler answers `answer`, through npm thrift. */
function generatedReply(protocol: ProtocolName, method: string, answer: Answer): string {
  let bytes: Buffer | undefined;
  const transport = new thrift.TBufferedTransport(undefined, (msg: Buffer) => (bytes = Buffer.from(msg)));
  const output = new thrift[protocol === 'compact' ? 'TCompactProtocol' : 'TBinaryProtocol'](transport);
  new generated.Processor(handlerAnswering(answer)).process(reader(protocol, call(protocol, method)), output);
  return bytes!.toString('hex');
}

/** Runs `write` against our writer for `protocol` and returns the message it flushed. */
function ours(protocol: ProtocolName, write: (writer: ProtocolWriter) => void): string {
  let bytes: Buffer | undefined;
  const writer = new (protocolClasses(protocol).Writer)(new OutputBuffer(false, (b) => (bytes = Buffer.from(b))));
  write(writer);
  return bytes!.toString('hex');
}

/** Errors of each code, as the handler meets them (the generated side gets them mapped to Thrift). */
const ERRORS: Array<[string, Error]> = [
  ['NOT_FOUND', new FlagDoesNotExistError('missing')],
  ['INVALID_ARGUMENT', new InvalidArgumentError('limit must not be negative')],
  ['INTERNAL', new StoreError('connection reset (é ✓)')],
];

const thriftError = (error: Error): ThriftException => errorToThrift(error);

function sampleItem(): FeatureFlagStoreItem {
  return new FeatureFlagStoreItem(
    'checkout-😀',
    true,
    new FeatureFlagStoreMeta({
      createdDate: 1_700_000_000,
      clientData: { owner: 'payments', ratio: -1.5e-7 },
      conditions: [new Condition({ is_admin: true, plan__in: ['pro', 'team'], age__gte: 18 })],
    }),
  );
}

describe('hand-written reply layouts match the generated *_result structs byte for byte', function () {
  it('covers every method of the service', function () {
    const methods = Object.keys(generated.Processor.prototype)
      .filter((key) => key.startsWith('process_'))
      .map((key) => key.slice('process_'.length));
    expect([...methods].sort()).to.deep.equal([...METHODS].sort());
  });

  for (const protocol of PROTOCOLS) {
    for (const method of METHODS) {
      it(`${protocol}: writeFlipperException for ${method} (NOT_FOUND, INVALID_ARGUMENT, INTERNAL)`, function () {
        for (const [code, error] of ERRORS) {
          const expected = generatedReply(protocol, method, (done) => done(thriftError(error), null));
          const actual = ours(protocol, (w) => writeFlipperException(w, method, SEQID, error));
          expect(actual, code).to.equal(expected);
        }
      });
    }

    it(`${protocol}: the server's streamed List and ListPage replies (frame around each item's own bytes)`, function () {
      const t = thriftTypes();
      const items = [sampleItem(), new FeatureFlagStoreItem('b', false, new FeatureFlagStoreMeta({ createdDate: 0 }))];
      const plain = () => items.map((item) => new t.FeatureFlagStoreItem(itemToThrift(item)));
      const encodedItems = (w: ProtocolWriter) => items.map((item) => memoizedBytes(itemToThrift(item), w));
      const streamed = (frame: (p: ReturnType<typeof protocolClasses>) => { head: Buffer; tail: Buffer }) =>
        ours(protocol, (w) => {
          const { head, tail } = frame(protocolClasses(protocol));
          const raw = w as ProtocolWriter & { writeRaw(b: Buffer): void };
          const bytes = encodedItems(w);
          raw.writeRaw(head);
          for (const b of bytes) raw.writeRaw(b);
          raw.writeRaw(tail);
          w.flush();
        });
      expect(
        streamed((p) => listReplyFrame(p, SEQID, items.length)),
        'List',
      ).to.equal(generatedReply(protocol, 'List', (done) => done(null, plain())));
      for (const cursor of ['o2', undefined]) {
        expect(
          streamed((p) => listPageReplyFrame(p, SEQID, items.length, cursor)),
          `ListPage ${cursor}`,
        ).to.equal(
          generatedReply(protocol, 'ListPage', (done) =>
            done(null, new t.FeatureFlagStoreListPage({ items: plain(), next_cursor: cursor })),
          ),
        );
      }
    });

    it(`${protocol}: the server's fast Get path, for an item and for each exception`, function () {
      const item = sampleItem();
      const answers: Array<[string, Answer]> = [
        // The reference gets a plain struct; the fast path the memoized one the handler makes.
        ['item', (done) => done(null, new (thriftTypes().FeatureFlagStoreItem)(itemToThrift(item)))],
        ...ERRORS.map(([code, error]): [string, Answer] => [code, (done) => done(thriftError(error), null)]),
      ];
      for (const [what, answer] of answers) {
        const expected = generatedReply(protocol, 'Get', answer);
        const fastAnswer: Answer = what === 'item' ? (done) => done(null, itemToThrift(item)) : answer;
        const fast = withFastGet(new generated.Processor(handlerAnswering(fastAnswer)), {
          Get: (_name: unknown, done: Result<object>) => fastAnswer(done as Result<unknown>),
        });
        const actual = ours(protocol, (w) => fast.process(reader(protocol, call(protocol, 'Get')), w));
        expect(actual, what).to.equal(expected);
      }
    });
  }

  it('can fail: a reply written with another field id differs from the generated one', function () {
    const exception = thriftError(ERRORS[0][1]);
    const expected = generatedReply('binary', 'Get', (done) => done(exception, null));
    const wrong = ours('binary', (w) => {
      w.writeMessageBegin('Get', 2, SEQID);
      w.writeStructBegin('r');
      w.writeFieldBegin('error', 12, 2);
      (exception as unknown as { write(o: ProtocolWriter): void }).write(w);
      w.writeFieldEnd();
      w.writeFieldStop();
      w.writeStructEnd();
      w.writeMessageEnd();
      w.flush();
    });
    expect(wrong).to.not.equal(expected);
  });
});
