import { expect } from 'chai';
import { thriftTypes } from '../shared/thrift/mapping';
import { MessageType, TType } from '../shared/thrift/wire';
import { failure } from './helpers/controlled-store';
import { describeAgainstGuardedServer } from './helpers/guarded-server';
import { bytesField, encodeCall, readReplies, stringField } from './helpers/raw-thrift';

const t = thriftTypes();

describeAgainstGuardedServer(
  'flag server: well-framed bad values are refused by name, nothing stored changes',
  (get) => {
    async function invalid(method: string, args: unknown[]): Promise<string> {
      const error = await failure(get().raw.call(method as never, args));
      expect(error, `${method} ${JSON.stringify(args).slice(0, 80)}`).to.be.instanceOf(t.FlipperException);
      const exception = error as InstanceType<typeof t.FlipperException>;
      expect(exception.code, exception.message).to.equal(t.ErrorCode.INVALID_ARGUMENT);
      return exception.message;
    }

    const meta = (fields: Record<string, unknown>) => new t.FeatureFlagStoreMeta(fields as never);
    const check = (variable: string, value: string, symbol?: string) =>
      new t.ConditionCheck({ variable, value, operator: new t.ConditionOperator({ symbol }) });

    it('well-framed bad values: INVALID_ARGUMENT naming the problem, and nothing created or changed', async function () {
      const cases: Array<[string, unknown[], RegExp]> = [
        ['Create', ['', true, '{}'], /must not be empty/],
        ['Create', ['x'.repeat(256), true, '{}'], /at most 255 characters, got 256/],
        ['Create', [null, true, '{}'], /feature_name is required/],
        ['Create', ['new-flag', true, 'not json'], /client_data is not valid JSON/],
        ['Create', ['new-flag', true, '[1, 2]'], /client_data must be a JSON object/],
        ['Create', ['new-flag', true, '"text"'], /client_data must be a JSON object/],
        ['Create', ['new-flag', true, JSON.stringify({ big: 'x'.repeat(64 * 1024) })], /over the 65536-byte limit/],
        ['Create', ['new-flag', true, `{"a": ${'['.repeat(80)}${']'.repeat(80)}}`], /deeper than 64/],
        ['Get', ['x'.repeat(256)], /at most 255/],
        ['Set', ['', true], /must not be empty/],
        ['Delete', [null], /feature_name is required/],
        ['List', [-1, null], /limit must be a non-negative integer/],
        ['List', [null, -5], /offset must be a non-negative integer/],
        ['SetMeta', ['existing', null], /meta is required/],
        ['SetMeta', [null, meta({})], /feature_name is required/],
        [
          'SetMeta',
          ['existing', meta({ bucketer: '{"type": "FancyBucketer"}' })],
          /Unknown bucketer type "FancyBucketer"/,
        ],
        ['SetMeta', ['existing', meta({ bucketer: '{oops' })], /bucketer is not valid JSON/],
        [
          'SetMeta',
          ['existing', meta({ bucketer: '{"type": "PercentageBucketer", "percentage": {"type": "Odd"}}' })],
          /Unknown percentage type "Odd"/,
        ],
        [
          'SetMeta',
          ['existing', meta({ conditions: [{ age: [check('age', '3', 'like')] }] })],
          /Unknown condition operator "like"/,
        ],
        ['SetMeta', ['existing', meta({ conditions: [{ age: [check('age', 'three')] }] })], /not valid JSON/],
        ['SetMeta', ['existing', meta({ conditions: [{ plan: [check('plan', '"pro"', 'in')] }] })], /needs a list/],
        ['SetMeta', ['existing', meta({ client_data: '[]' })], /meta.client_data must be a JSON object/],
        // A good field does not get stored when another field of the same call is bad.
        [
          'SetMeta',
          ['existing', meta({ client_data: '{"changed": true}', bucketer: '{"type": 7}' })],
          /Unknown bucketer type/,
        ],
      ];
      for (const [method, args, message] of cases)
        expect(await invalid(method, args), message.source).to.match(message);
    });

    it('every argument unset: a name is required where one is needed, List lists everything', async function () {
      expect(await invalid('Create', [null, null, null])).to.match(/feature_name is required/);
      expect(await invalid('Get', [null])).to.match(/feature_name is required/);
      expect(await invalid('Set', [null, null])).to.match(/feature_name is required/);
      expect(await invalid('Delete', [null])).to.match(/feature_name is required/);
      expect(await invalid('SetMeta', [null, null])).to.match(/feature_name is required/);
      const all = (await get().raw.call('List', [null, null])) as Array<{ feature_name: string }>;
      expect(all.map((i) => i.feature_name)).to.deep.equal(['existing', 'ramp']);
    });

    it('Get and SetMeta of a missing flag are NOT_FOUND', async function () {
      for (const [method, args] of [
        ['Get', ['missing']],
        ['SetMeta', ['missing', meta({ client_data: '{}' })]],
      ] as const) {
        const error = await failure(get().raw.call(method, [...args]));
        expect(error, method).to.be.instanceOf(t.FlipperException).with.property('code', t.ErrorCode.NOT_FOUND);
      }
    });

    it('a name that is not UTF-8 is INVALID_ARGUMENT, and the same connection answers the next call', async function () {
      const bad = encodeCall(get().format, 'Create', 41, (w) => bytesField(w, 1, Buffer.from([0x66, 0xff, 0xfe])));
      const good = encodeCall(get().format, 'Get', 42, (w) => stringField(w, 1, 'existing'));
      const replies = await readReplies(get().server.port, get().format, [bad, good], 2);
      expect(replies[0].exception?.code).to.equal(t.ErrorCode.INVALID_ARGUMENT);
      expect(replies[0].exception?.message).to.match(/not valid UTF-8/);
      expect(replies[1].seqid).to.equal(42);
      expect(replies[1].success).to.equal(true);
    });

    it('arguments of the wrong Thrift type are skipped as absent, as Thrift does: the name is then required', async function () {
      const wrong = encodeCall(get().format, 'Create', 7, (w) => {
        w.writeFieldBegin('feature_name', TType.I32, 1);
        w.writeI32(12);
        w.writeFieldEnd();
      });
      const [reply] = await readReplies(get().server.port, get().format, [wrong], 1);
      expect(reply.exception?.message).to.match(/feature_name is required/);
    });

    it('an unknown method gets an application exception, and the connection goes on', async function () {
      const unknown = encodeCall(get().format, 'DropEverything', 3, () => {});
      const good = encodeCall(get().format, 'Get', 4, (w) => stringField(w, 1, 'existing'));
      const replies = await readReplies(get().server.port, get().format, [unknown, good], 2);
      expect(replies[0].mtype).to.equal(MessageType.EXCEPTION);
      expect(replies[0].application?.message).to.match(/DropEverything/);
      expect(replies[1].success).to.equal(true);
    });
  },
);
