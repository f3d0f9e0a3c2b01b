import { expect } from 'chai';
import { FeatureFlagClient, MemoryFeatureFlagStore, decorators } from '../client';

describe('decorators.isEnabled', function () {
  let client: FeatureFlagClient;

  beforeEach(async function () {
    client = new FeatureFlagClient(new MemoryFeatureFlagStore());
    await client.create('NEW_SOUND');
  });

  it('calls the function while the flag is on, else the redirect, with the same arguments', async function () {
    const newSound = decorators.isEnabled(client, 'NEW_SOUND', {
      redirect: (req: { who: string }) => `Neigh ${req.who}`,
    })((req: { who: string }) => `Whinny ${req.who}`);
    expect(await newSound({ who: 'a' })).to.equal('Neigh a');
    await client.enable('NEW_SOUND');
    expect(await newSound({ who: 'b' })).to.equal('Whinny b');
  });

  it('resolves to undefined without a redirect while the flag is off', async function () {
    let called = false;
    const fn = decorators.isEnabled(
      client,
      'NEW_SOUND',
    )(() => {
      called = true;
      return 1;
    });
    expect(await fn()).to.equal(undefined);
    expect(called).to.equal(false);
  });

  it('uses the default when the flag is missing', async function () {
    const fn = decorators.isEnabled(client, 'MISSING', { default: true })(async () => 'on');
    expect(await fn()).to.equal('on');
  });

  it('keeps `this`, so it works on methods and as an Express-style handler', async function () {
    await client.enable('NEW_SOUND');
    class Horse {
      sound = 'Whinny';
      speak = decorators.isEnabled(
        client,
        'NEW_SOUND',
      )(function (this: Horse) {
        return this.sound;
      });
    }
    expect(await new Horse().speak()).to.equal('Whinny');
    const sent: string[] = [];
    const handler = decorators.isEnabled(client, 'NEW_SOUND', {
      redirect: (_req: unknown, res: { send: (s: string) => void }) => res.send('Neigh'),
    })((_req: unknown, res: { send: (s: string) => void }) => res.send('Whinny'));
    await handler({}, { send: (s) => sent.push(s) });
    expect(sent).to.deep.equal(['Whinny']);
  });
});
