// The one path of every backend call (client/calls): the deadline, the classifier's typed error
// and the reachability log, over real drivers (Redis, a silent TCP server, a locked SQLite file).
import { expect } from 'chai';
import Redis from 'ioredis';
import { ConnectionError, InvalidArgumentError, StoreError, TimeoutError } from '../client';
import { BackendCallPath, type StoreDeclaration } from '../client/calls/backend-call-path';
import { BETTER_SQLITE3 } from '../client/calls/drivers/better-sqlite3';
import { IOREDIS, ioredisUnsendable } from '../client/calls/drivers/ioredis';
import { recordingLogger } from './helpers/broken-store';
import { failure } from './helpers/controlled-store';
import { lockedSqlite, thrown } from './helpers/locked-sqlite';
import { SilentServer } from './helpers/tcp-faults';

const KEY = `flipper-call-path-${process.pid}`;

describe('BackendCallPath', function () {
  let redis: Redis;
  let silent: SilentServer;
  let mute: Redis;

  before(async function () {
    redis = new Redis({ host: '127.0.0.1', port: 6379 });
    await redis.set(KEY, 'text');
    silent = await new SilentServer().start();
    // ioredis connected to a server that never answers: commands wait for ever without the path's deadline.
    mute = new Redis({ host: '127.0.0.1', port: silent.port, maxRetriesPerRequest: null });
    mute.on('error', () => {});
  });

  after(async function () {
    await redis.del(KEY);
    redis.disconnect();
    mute.disconnect();
    await silent.close();
  });

  const path = (over: Partial<StoreDeclaration> = {}) => {
    const logger = recordingLogger();
    const calls = new BackendCallPath(IOREDIS, {
      bindings: { store: 'redis', baseKey: 'k' },
      deadline: { ms: 100, option: 'commandTimeout' },
      logger,
      ...over,
    });
    return { calls, logger };
  };

  it('answers with what the driver answers, and logs nothing', async function () {
    const { calls, logger } = path();
    expect(await calls.call('GET', () => redis.get(KEY))).to.equal('text');
    expect(logger.lines).to.deep.equal([]);
  });

  it('past the deadline: TimeoutError naming the call and the option, and the signal aborts', async function () {
    const { calls } = path();
    let signal: AbortSignal | undefined;
    const started = Date.now();
    const error = await failure(
      calls.call('GET', (s) => {
        signal = s;
        return mute.get(KEY);
      }),
    );
    expect(error).to.be.instanceOf(TimeoutError);
    expect((error as Error).message).to.equal('Redis GET (commandTimeout) did not finish within 100 ms');
    expect(Date.now() - started).to.be.within(90, 1000);
    expect(signal?.aborted).to.equal(true);
    expect(signal?.reason).to.equal(error);
  });

  it('a per-call deadline replaces the declared one', async function () {
    const { calls } = path();
    const error = await failure(calls.call('GET', () => mute.get(KEY), { deadlineMs: 30 }));
    expect((error as Error).message).to.match(/within 30 ms$/);
  });

  it("the backend's error answer: StoreError with one message (the driver's words once) and the cause", async function () {
    const { calls, logger } = path({ target: ' under "k"' });
    const error = await failure(calls.call('HGET', () => redis.hget(KEY, 'f')));
    expect(error).to.be.instanceOf(StoreError);
    const message = (error as Error).message;
    expect(message).to.match(/^Redis HGET under "k" failed: WRONGTYPE /);
    expect(message.split('WRONGTYPE')).to.have.length(2);
    expect((error as Error).cause).to.have.property('name', 'ReplyError');
    expect(logger.lines, 'an answer is not an outage').to.deep.equal([]);
  });

  it('a call that cannot be sent fails at once with ConnectionError, without calling the driver', async function () {
    const closed = new Redis({ lazyConnect: true });
    closed.disconnect();
    const { calls } = path({ unsendable: () => ioredisUnsendable(closed) });
    let sent = false;
    const error = await failure(
      calls.call('GET', () => {
        sent = true;
        return closed.get(KEY);
      }),
    );
    expect(error).to.be.instanceOf(ConnectionError);
    expect((error as Error).message).to.equal('Redis GET failed: not connected (client status "end")');
    expect(sent).to.equal(false);
  });

  it('logs an outage once when it starts and once when it ends, with the failures in between', async function () {
    const { calls, logger } = path();
    for (let i = 0; i < 3; i++) await failure(calls.call('GET', () => mute.get(KEY), { deadlineMs: 10 }));
    expect(logger.lines.map((l) => [l.level, l.msg])).to.deep.equal([['warn', 'Redis is unreachable']]);
    expect(logger.lines[0].obj).to.include({ store: 'redis', baseKey: 'k' });
    expect((logger.lines[0].obj as { err: unknown }).err).to.be.instanceOf(TimeoutError);
    await calls.call('GET', () => redis.get(KEY));
    await calls.call('GET', () => redis.get(KEY));
    expect(logger.lines.map((l) => [l.level, l.msg])).to.deep.equal([
      ['warn', 'Redis is unreachable'],
      ['info', 'Redis is reachable again after 3 failed calls'],
    ]);
    expect(logger.lines[1].obj).to.include({ store: 'redis', failures: 3 });
  });

  it('passes a typed error of the library through unchanged', async function () {
    const { calls } = path();
    const mine = new InvalidArgumentError('bad');
    expect(await failure(calls.call('GET', () => Promise.reject(mine)))).to.equal(mine);
  });

  it('run: a synchronous driver (SQLite), no deadline; a locked file is TimeoutError, logged once', function () {
    const locked = lockedSqlite();
    const logger = recordingLogger();
    const calls = new BackendCallPath(BETTER_SQLITE3, { bindings: { store: 'sqlite' }, logger });
    try {
      const error = thrown(() => calls.run('write', () => locked.waiter.exec('INSERT INTO t VALUES (1)')));
      expect(error).to.be.instanceOf(TimeoutError);
      expect((error as Error).message).to.equal('SQLite write failed: database is locked');
      locked.release();
      calls.run('write', () => locked.waiter.exec('INSERT INTO t VALUES (1)'));
      expect(logger.lines.map((l) => l.msg)).to.deep.equal([
        'SQLite is not answering (database locked)',
        'SQLite answers again after 1 failed call',
      ]);
    } finally {
      locked.close();
    }
  });
});
