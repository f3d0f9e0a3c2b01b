import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Condition,
  ConsistentHashPercentageBucketer,
  FeatureFlagClient,
  LinearRampPercentage,
  Percentage,
  PercentageBucketer,
} from '../../client';
import { RpcConnection } from '../../client/rpc/rpc-connection';
import { ThriftRPCFeatureFlagStore } from '../../client/stores/thrift-rpc-store';
import type { ProtocolName, TransportName } from '../../shared/thrift/wire';
import { startServerProcess, type ServerProcess } from './flag-server-process';
import type { WireFormat } from './raw-thrift';

/** The server's message limit in these tests: room for 64 KiB of client data, small enough to exceed. */
export const MAX_MESSAGE = 256 * 1024;

/** What a test against a guarded server gets. */
export interface Guarded {
  format: WireFormat;
  server: ServerProcess;
  /** An RPC store on the server. */
  store: ThriftRPCFeatureFlagStore;
  /** A raw caller: sends arguments as given (null for unset) and rejects with the server's exception. */
  raw: RpcConnection;
}

const SETUPS: Array<{ transport: TransportName; protocol: ProtocolName; store: 'sqlite' | 'memory' }> = [
  { transport: 'buffered', protocol: 'binary', store: 'sqlite' },
  { transport: 'framed', protocol: 'compact', store: 'memory' },
];

/** Every flag with its meta, as JSON. */
async function snapshot(store: ThriftRPCFeatureFlagStore): Promise<string> {
  return JSON.stringify((await store.list()).map((item) => item.toJSON()));
}

/**
 * Runs `body` against a `flipper-server` process per wire format (buffered/binary over SQLite,
 * framed/compact over memory) holding two flags; after every test, checks the process is still up,
 * answers, and holds exactly the flags it held before.
 */
export function describeAgainstGuardedServer(title: string, body: (get: () => Guarded) => void): void {
  for (const setup of SETUPS) {
    const format: WireFormat = { transport: setup.transport, protocol: setup.protocol };
    describe(`${title} (${setup.transport}/${setup.protocol} over ${setup.store})`, function () {
      this.timeout(120_000);
      let dir: string;
      let guarded: Guarded | undefined;
      let baseline: string;

      before(async function () {
        dir = mkdtempSync(join(tmpdir(), 'flipper-guarded-'));
        const storeArg = setup.store === 'sqlite' ? `sqlite:${join(dir, 'flags.db')}` : 'memory';
        const server = await startServerProcess([
          ...['--store', storeArg, '--transport', setup.transport, '--protocol', setup.protocol],
          ...['--max-message-bytes', String(MAX_MESSAGE)],
        ]);
        const store = new ThriftRPCFeatureFlagStore({ port: server.port, ...format });
        const raw = new RpcConnection({
          host: '127.0.0.1',
          port: server.port,
          ...format,
          timeoutMs: 5000,
          maxMessageBytes: 1 << 24,
        });
        guarded = { format, server, store, raw };
        const client = new FeatureFlagClient(store);
        await client.create('existing', { isEnabled: true, clientData: { team: 'growth' } });
        await client.addCondition('existing', new Condition({ age__gte: 18, plan__in: ['pro'] }));
        await client.setBucketer(
          'existing',
          new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.3) }),
        );
        await client.create('ramp', { isEnabled: false });
        await client.setBucketer(
          'ramp',
          new PercentageBucketer({ percentage: new LinearRampPercentage({ initialValue: 0.1, rampDuration: 60 }) }),
        );
        baseline = await snapshot(store);
      });

      afterEach(async function () {
        const { server, store } = guarded!;
        expect(server.child.exitCode, 'the server process exited').to.equal(null);
        expect(await snapshot(store), 'what the store holds changed').to.equal(baseline);
        expect((await store.get('existing'))?.isEnabled).to.equal(true);
      });

      after(async function () {
        if (guarded) {
          await guarded.raw.close();
          await guarded.store.close();
          expect(await guarded.server.stop('SIGTERM')).to.equal(0);
        }
        rmSync(dir, { recursive: true, force: true });
      });

      body(() => guarded!);
    });
  }
}
