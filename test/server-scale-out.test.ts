import { expect } from 'chai';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { Condition, FeatureFlagClient, ThriftRPCFeatureFlagStore } from '../client';
import { startServerProcess, type ServerProcess } from './helpers/flag-server-process';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

// Scaling the server past one machine: several flipper-server processes over one shared backend.
// The server never caches, so a change made through one is read through the other at once.
describe('two flag servers over one backend see each other’s changes at once', function () {
  this.timeout(60_000);
  const unique = `flipper_scale_${process.pid}_${Date.now()}`;
  const backends = [
    { name: 'Redis', url: 'redis://127.0.0.1:6379/0' },
    { name: 'PostgreSQL', url: 'postgres://postgres@127.0.0.1:5432/test' },
  ];

  after(async function () {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    const pool = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    try {
      const keys = await redis.keys(`${unique}/*`);
      if (keys.length > 0) await redis.del(...keys);
      await dropFlagTableAndFeed(pool, unique);
    } finally {
      await redis.quit();
      await pool.end();
    }
  });

  for (const backend of backends) {
    it(`${backend.name}: create, enable, add a condition and destroy through one; read through the other`, async function () {
      const servers: ServerProcess[] = [];
      const stores: ThriftRPCFeatureFlagStore[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          servers.push(await startServerProcess(['--store', backend.url, '--base-key', unique]));
          stores.push(new ThriftRPCFeatureFlagStore({ port: servers[i].port }));
        }
        const [one, two] = stores.map((store) => new FeatureFlagClient(store));

        await one.create('checkout', { clientData: { owner: 'payments' } });
        expect(await two.exists('checkout')).to.equal(true);
        expect(await two.isEnabled('checkout')).to.equal(false);

        await one.enable('checkout');
        expect(await two.isEnabled('checkout')).to.equal(true);

        await two.addCondition('checkout', new Condition({ is_admin: true }));
        expect(await one.isEnabled('checkout', { is_admin: false })).to.equal(false);
        expect(await one.getClientData('checkout')).to.deep.equal({ owner: 'payments' });

        await two.destroy('checkout');
        expect(await one.exists('checkout')).to.equal(false);
      } finally {
        for (const store of stores) await store.close();
        for (const server of servers) expect(await server.stop()).to.equal(0);
      }
    });
  }
});
