import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FeatureFlagStoreMeta,
  MemoryFeatureFlagStore,
  PermissionDeniedError,
  ThriftRPCFeatureFlagStore,
} from '../client';
import { recordingLogger } from '../client/testing/recording-logger';
import { RpcConnection } from '../client/rpc/rpc-connection';
import type { RpcMethod } from '../client/rpc/rpc-caller';
import { FlagServer } from '../server/flag-server';
import { AccessPolicy } from '../server/security/access-policy';
import { parseCli } from '../server/cli-options';
import { errorFromThrift, metaToThrift } from '../shared/thrift/mapping';
import { makeTestCertificates, type CertFiles, type TestCertificates } from './helpers/certificates';
import { quietLogger } from './helpers/rpc-served';
import { clientTls, tlsClient, tlsServer } from './helpers/tls-served';

const META = metaToThrift(new FeatureFlagStoreMeta({ createdDate: 1_700_000_000, clientData: { by: 'test' } }));

/** Every write method of the service, with arguments naming `flag`. */
function writes(flag: string): Array<[RpcMethod, unknown[]]> {
  return [
    ['Create', [flag, true, '{}']],
    ['Set', [flag, false]],
    ['Delete', [flag]],
    ['SetMeta', [flag, META]],
    ['SetIf', [flag, false, 'any-revision']],
    ['SetMetaIf', [flag, META, 'any-revision']],
  ];
}

/** The typed error a raw call ends with (undefined when it succeeds). */
async function outcome(connection: RpcConnection, method: RpcMethod, args: unknown[]): Promise<Error | undefined> {
  try {
    await connection.call(method, args);
    return undefined;
  } catch (error) {
    return errorFromThrift(error, String(args[0]));
  }
}

/** Every flag with its meta, as JSON. */
async function snapshot(store: MemoryFeatureFlagStore): Promise<string> {
  return JSON.stringify((await store.list()).map((item) => item.toJSON()));
}

describe('who may write: the --authz policy and read-only listeners', function () {
  this.timeout(30_000);
  let certs: TestCertificates;
  let policyFile: string;
  const open: Array<{ close(): Promise<void> }> = [];

  const POLICY = {
    writers: [{ identity: 'spiffe://flags/writer' }, { identity: 'deployer', prefixes: ['checkout.'] }],
    readers: ['reader'],
    others: 'none',
  };

  before(function () {
    certs = makeTestCertificates();
    policyFile = join(certs.dir, 'authz.json');
  });

  afterEach(async function () {
    for (const item of open.splice(0)) await item.close();
  });

  after(function () {
    certs?.remove();
  });

  /** A mutual-TLS server under `policy` (optional client certificates), over a store holding `existing` and `checkout.existing`. */
  async function policed(policy: object = POLICY) {
    writeFileSync(policyFile, JSON.stringify(policy));
    const backend = new MemoryFeatureFlagStore();
    await backend.create('existing', { isEnabled: true, clientData: { team: 'growth' } });
    await backend.create('checkout.existing', { isEnabled: true });
    const logger = recordingLogger();
    const { server, port } = await tlsServer(certs, {
      store: backend,
      logger,
      authzFile: policyFile,
      tls: { clientAuth: 'optional' },
    });
    open.push(server);
    const raw = (who?: CertFiles) => {
      const connection = new RpcConnection({
        host: '127.0.0.1',
        port,
        transport: 'buffered',
        protocol: 'binary',
        timeoutMs: 3000,
        maxMessageBytes: 1 << 24,
        tls: clientTls(certs, who),
      });
      open.push(connection);
      return connection;
    };
    const store = (who?: CertFiles) => {
      const rpc = tlsClient(port, certs, who);
      open.push(rpc);
      return rpc;
    };
    return { backend, server, port, raw, store, logger };
  }

  it('a read-only identity reads (Get, List) and gets PERMISSION_DENIED on each write method; nothing changes', async function () {
    const { backend, raw, store, logger } = await policed();
    const before = await snapshot(backend);
    const reader = raw(certs.reader);
    expect(((await reader.call('Get', ['existing'])) as { is_enabled: boolean }).is_enabled).to.equal(true);
    expect(((await reader.call('List', [null, null])) as unknown[]).length).to.equal(2);
    for (const flag of ['existing', 'new-flag', 'checkout.existing']) {
      for (const [method, args] of writes(flag)) {
        const error = await outcome(reader, method, args);
        expect(error, `${method}(${flag})`).to.be.instanceOf(PermissionDeniedError);
        expect(error!.message).to.match(new RegExp(`^${method} refused: the identity "reader" may only read flags`));
      }
    }
    // Through the store: the typed error, and reads still work on the same connection.
    const readerStore = store(certs.reader);
    expect(await readerStore.set('existing', false).catch((e: unknown) => e)).to.be.instanceOf(PermissionDeniedError);
    expect(await readerStore.delete('existing').catch((e: unknown) => e)).to.be.instanceOf(PermissionDeniedError);
    expect((await readerStore.get('existing'))?.isEnabled).to.equal(true);
    expect(await snapshot(backend)).to.equal(before);
    // Logged once for the identity, not once per refused call.
    const lines = logger.at('warn').filter((l) => l.msg === 'refused a call: permission denied');
    expect(lines).to.have.length(1);
    expect(lines[0].obj).to.include({ identity: 'reader' });
  });

  it('a writer (named by a subjectAltName) writes every flag with each write method', async function () {
    const { backend, raw } = await policed();
    const writer = raw(certs.writer);
    for (const [method, args] of writes('written')) {
      const error = await outcome(writer, method, args);
      // SetIf/SetMetaIf with a made-up revision are refused by the store, not by the policy.
      if (method.endsWith('If'))
        expect(error?.constructor.name, method).to.be.oneOf(['ConflictError', 'FlagDoesNotExistError']);
      else expect(error, method).to.equal(undefined);
      if (method === 'Delete') await writer.call('Create', ['written', true, '{}']);
    }
    expect((await backend.get('written'))?.meta.clientData).to.deep.equal({ by: 'test' });
  });

  it('a writer limited to a prefix writes those flags only', async function () {
    const { backend, raw } = await policed();
    const before = (await backend.get('existing'))!.toJSON();
    const deployer = raw(certs.deployer);
    expect(await outcome(deployer, 'Create', ['checkout.new', true, '{}'])).to.equal(undefined);
    expect(await outcome(deployer, 'Set', ['checkout.existing', false])).to.equal(undefined);
    for (const [method, args] of writes('existing')) {
      const error = await outcome(deployer, method, args);
      expect(error, method).to.be.instanceOf(PermissionDeniedError);
      expect(error!.message).to.include('may not write the flag "existing"');
    }
    expect((await backend.get('existing'))!.toJSON()).to.deep.equal(before);
    expect((await backend.get('checkout.existing'))?.isEnabled).to.equal(false);
  });

  it('others: "none" refuses even reads to a client without a certificate; "read" lets it read', async function () {
    {
      const { raw } = await policed();
      const anonymous = raw();
      const error = await outcome(anonymous, 'Get', ['existing']);
      expect(error).to.be.instanceOf(PermissionDeniedError);
      expect(error!.message).to.match(/a caller without a client certificate may not read/);
    }
    {
      const { raw } = await policed({ ...POLICY, others: 'read' });
      const anonymous = raw();
      expect(await outcome(anonymous, 'Get', ['existing'])).to.equal(undefined);
      expect(await outcome(anonymous, 'Set', ['existing', false])).to.be.instanceOf(PermissionDeniedError);
    }
  });

  it('a reloaded policy applies to the next call of an open connection', async function () {
    const { server, raw } = await policed();
    const reader = raw(certs.reader);
    expect(await outcome(reader, 'Set', ['existing', false])).to.be.instanceOf(PermissionDeniedError);
    writeFileSync(policyFile, JSON.stringify({ writers: [{ identity: 'reader' }] }));
    await server.reload();
    expect(await outcome(reader, 'Set', ['existing', false])).to.equal(undefined);
    // A policy that does not parse: reload fails naming the file, and the one in use stays.
    writeFileSync(policyFile, '{ "writers": [ { "identity": "reader", "prefix": ["x"] } ] }');
    const error = (await server.reload().catch((e: unknown) => e)) as Error;
    expect(error.message).to.include(policyFile).and.include('unknown key "prefix"');
    expect(await outcome(reader, 'Set', ['existing', true])).to.equal(undefined);
  });

  it('without TLS: a --read-only listener refuses every write; the admin listener (loopback) takes them', async function () {
    const backend = new MemoryFeatureFlagStore();
    await backend.create('existing', { isEnabled: true });
    const server = new FlagServer({ store: backend, port: 0, readOnly: true, admin: { port: 0 }, logger: quietLogger });
    open.push(server);
    const { port } = await server.listen();
    expect(server.adminAddress?.address).to.equal('127.0.0.1');
    const connect = (p: number) => {
      const c = new RpcConnection({
        host: '127.0.0.1',
        port: p,
        transport: 'buffered',
        protocol: 'binary',
        timeoutMs: 3000,
        maxMessageBytes: 1 << 24,
      });
      open.push(c);
      return c;
    };
    const main = connect(port);
    const admin = connect(server.adminAddress!.port);
    const before = await snapshot(backend);
    for (const [method, args] of writes('existing')) {
      const error = await outcome(main, method, args);
      expect(error, method).to.be.instanceOf(PermissionDeniedError);
      expect(error!.message).to.include('this listener is read-only');
    }
    expect(await snapshot(backend)).to.equal(before);
    expect(await outcome(main, 'Get', ['existing'])).to.equal(undefined);
    expect(await outcome(main, 'List', [null, null])).to.equal(undefined);
    expect(await outcome(admin, 'Set', ['existing', false])).to.equal(undefined);
    expect((await backend.get('existing'))?.isEnabled).to.equal(false);
    const plainStore = new ThriftRPCFeatureFlagStore({ port }, { timeout: 3000 });
    open.push(plainStore);
    expect(await plainStore.create('x').catch((e: unknown) => e)).to.be.instanceOf(PermissionDeniedError);
    expect(
      server
        .callers()
        .map((c) => c.listener)
        .sort(),
    ).to.deep.equal(['admin', 'main', 'main']);
  });

  describe('the policy file is checked, and errors name the problem', function () {
    const cases: Array<[string, RegExp]> = [
      ['writers: [', /not JSON \(YAML is not read\)/],
      ['[]', /must be a JSON object/],
      ['{"writer": []}', /unknown key "writer"/],
      ['{"writers": [{"identity": ""}]}', /"writers"\[0\]\.identity must be a non-empty string/],
      ['{"writers": [{"identity": "a", "prefixes": []}]}', /prefixes must be a non-empty list/],
      ['{"writers": [{"identity": "a", "prefixes": [""]}]}', /prefixes must be a non-empty list of non-empty strings/],
      ['{"readers": "a"}', /"readers" must be a list/],
      ['{"others": "write"}', /"others" must be "none" or "read"/],
      ['{"__proto__": {"others": "read"}}', /unknown key "__proto__"/],
    ];
    for (const [text, expected] of cases) {
      it(text, function () {
        expect(() => AccessPolicy.parse(text, 'test policy')).to.throw(expected);
      });
    }

    it('identities add up; "*" is any verified certificate; no certificate gets "others"', function () {
      const policy = AccessPolicy.parse(
        JSON.stringify({
          writers: [
            { identity: 'a', prefixes: ['x.'] },
            { identity: 'a.example', prefixes: ['y.'] },
          ],
          readers: ['*'],
          others: 'none',
        }),
      );
      expect(policy.accessFor({ name: 'a', commonName: 'a', altNames: ['a.example'] })).to.deep.equal({
        read: true,
        write: ['x.', 'y.'],
      });
      expect(policy.accessFor({ name: 'b', commonName: 'b', altNames: [] })).to.deep.equal({ read: true, write: [] });
      expect(policy.accessFor(undefined)).to.deep.equal({ read: false, write: [] });
    });
  });

  describe('command-line options', function () {
    it('--tls-cert needs --tls-key; --tls-client-auth needs --tls-ca; --tls-ca needs TLS', function () {
      expect(() => parseCli(['--tls-cert', 'a.crt'], {})).to.throw(/--tls-cert and --tls-key go together/);
      expect(() => parseCli(['--tls-cert', 'a', '--tls-key', 'b', '--tls-client-auth', 'require'], {})).to.throw(
        /needs --tls-ca/,
      );
      expect(() => parseCli(['--tls-ca', 'ca.crt'], {})).to.throw(/need TLS/);
      expect(() => parseCli(['--tls-cert', 'a', '--tls-key', 'b', '--tls-min-version', 'TLSv1'], {})).to.throw(
        /--tls-min-version must be one of TLSv1.2, TLSv1.3/,
      );
    });

    it('--read-only (or FLIPPER_READ_ONLY=true), --admin-port and --admin-host (loopback by default)', function () {
      expect(parseCli([], {}).readOnly).to.equal(false);
      expect(parseCli(['--read-only'], {}).readOnly).to.equal(true);
      expect(parseCli([], { FLIPPER_READ_ONLY: 'true' }).readOnly).to.equal(true);
      expect(() => parseCli([], { FLIPPER_READ_ONLY: 'yes' })).to.throw(/FLIPPER_READ_ONLY must be/);
      expect(parseCli(['--admin-port', '9091'], {}).admin).to.deep.equal({ host: '127.0.0.1', port: 9091 });
      const tls = parseCli(
        ['--tls-cert', 'a', '--tls-key', 'b', '--tls-ca', 'c', '--tls-client-auth', 'require', '--authz', 'p.json'],
        {},
      );
      expect(tls.tls).to.deep.include({
        certFile: 'a',
        keyFile: 'b',
        caFile: 'c',
        clientAuth: 'require',
        minVersion: 'TLSv1.2',
      });
      expect(tls.authzFile).to.equal('p.json');
    });
  });
});
