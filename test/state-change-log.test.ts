import { expect } from 'chai';
import { StateChangeLog } from '../client/calls/state-change-log';
import { recordingLogger } from './helpers/broken-store';

describe('StateChangeLog', function () {
  const messages = { failing: 'X is down', working: 'X is up again', counted: 'failed pings' };

  it('logs the start and the end of a failing spell once each, counting the failures', function () {
    const logger = recordingLogger();
    const log = new StateChangeLog(logger, { id: 'a' }, messages);
    log.succeeded();
    expect(log.failing).to.equal(false);
    for (let i = 0; i < 5; i++) log.failed({ attempt: i });
    expect(log.failing).to.equal(true);
    log.succeeded({ extra: 1 });
    log.succeeded();
    expect(logger.lines).to.deep.equal([
      { level: 'warn', obj: { id: 'a', attempt: 0 }, msg: 'X is down' },
      { level: 'info', obj: { id: 'a', extra: 1, failures: 5 }, msg: 'X is up again after 5 failed pings' },
    ]);
  });

  it('says "1 failed call" for one failure (the default noun)', function () {
    const logger = recordingLogger();
    const log = new StateChangeLog(logger, {}, { failing: 'down', working: 'up' });
    log.failed();
    log.succeeded();
    expect(logger.lines.map((l) => l.msg)).to.deep.equal(['down', 'up after 1 failed call']);
  });

  it('a kind already logged in the spell is not logged again when failures alternate; a new spell logs again', function () {
    const logger = recordingLogger();
    const log = new StateChangeLog(logger, {}, messages);
    for (let i = 0; i < 10; i++) log.failed({}, i % 2 === 0 ? 'refused' : 'timeout');
    expect(logger.lines.map((l) => l.msg)).to.deep.equal(['X is down', 'X is down']);
    log.succeeded();
    log.failed({}, 'timeout');
    expect(logger.lines.map((l) => l.msg)).to.deep.equal([
      'X is down',
      'X is down',
      'X is up again after 9 failed pings',
      'X is down',
    ]);
  });

  it('logs again when the failure changes kind, restarting the count', function () {
    const logger = recordingLogger();
    const log = new StateChangeLog(logger, {}, messages);
    log.failed({}, 'refused');
    log.failed({}, 'refused');
    log.failed({ why: 'timeout' }, 'timeout');
    log.succeeded();
    expect(logger.lines.map((l) => [l.level, l.msg])).to.deep.equal([
      ['warn', 'X is down'],
      ['warn', 'X is down'],
      ['info', 'X is up again after 1 failed ping'],
    ]);
  });

  it('works without a logger', function () {
    const log = new StateChangeLog(undefined, {}, messages);
    log.failed();
    log.succeeded();
    expect(log.failing).to.equal(false);
  });
});
