import { expect } from 'chai';
import { InvalidArgumentError, TimeoutError } from '../client';
import { startDeadline, validateTimeout, withAbortableDeadline, withDeadline } from '../client/calls/deadline';
import { failure } from './helpers/controlled-store';
import { slicePage } from '../shared/page';
import { validateWireOptions } from '../shared/thrift/wire';

describe('the deadline (client/calls/deadline.ts)', function () {
  it('startDeadline: a TimeoutError saying what did not finish, words built only on expiry', async function () {
    let built = 0;
    const error = await new Promise<TimeoutError>((resolve) =>
      startDeadline(
        10,
        () => {
          built++;
          return 'Get to host:1';
        },
        resolve,
      ),
    );
    expect(error).to.be.instanceOf(TimeoutError);
    expect(error.message).to.equal('Get to host:1 did not finish within 10 ms');
    expect(built).to.equal(1);
    const cleared = startDeadline(
      10,
      () => String(++built),
      () => {},
    );
    clearTimeout(cleared);
    await new Promise((r) => setTimeout(r, 20));
    expect(built).to.equal(1);
  });

  it('withDeadline: settles as the work does; rejects late work with TimeoutError', async function () {
    expect(await withDeadline(Promise.resolve(7), 1000, 'work')).to.equal(7);
    expect(await failure(withDeadline(Promise.reject(new Error('no')), 1000, 'work'))).to.have.property(
      'message',
      'no',
    );
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 30));
    const error = await failure(withDeadline(late, 5, 'slow work'));
    expect((error as Error).message).to.equal('slow work did not finish within 5 ms');
    await new Promise((r) => setTimeout(r, 40)); // the late rejection is handled: the root hook would fail the test
  });

  it('withAbortableDeadline: aborts the signal with the TimeoutError, and starts the work once', async function () {
    let starts = 0;
    let seen: AbortSignal | undefined;
    const error = await failure(
      withAbortableDeadline(5, 'abortable', (signal) => {
        starts++;
        seen = signal;
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      }),
    );
    expect(error).to.be.instanceOf(TimeoutError);
    expect(seen?.aborted).to.equal(true);
    expect(seen?.reason).to.equal(error);
    expect(starts).to.equal(1);
    const thrown = await failure(
      withAbortableDeadline(1000, 'sync throw', () => {
        throw new Error('at once');
      }),
    );
    expect(thrown).to.have.property('message', 'at once');
  });

  it('validateTimeout refuses what is not a positive number of milliseconds', function () {
    expect(validateTimeout(5, 'timeout')).to.equal(5);
    for (const bad of [0, -1, NaN, Infinity, '5' as unknown as number]) {
      expect(() => validateTimeout(bad, 'timeout')).to.throw(InvalidArgumentError, /timeout must be a positive/);
    }
  });
});

describe('slicePage and validateWireOptions (shared)', function () {
  it('slicePage: offset skipped, at most limit, all when limit is undefined', function () {
    const items = ['a', 'b', 'c', 'd'];
    expect(slicePage(items, undefined, 0)).to.deep.equal(items);
    expect(slicePage(items, 2, 1)).to.deep.equal(['b', 'c']);
    expect(slicePage(items, 0, 1)).to.deep.equal([]);
    expect(slicePage(items, 10, 3)).to.deep.equal(['d']);
    expect(slicePage(items, undefined, 9)).to.deep.equal([]);
  });

  it('validateWireOptions: names the option (with its prefix) and the bad value', function () {
    expect(validateWireOptions('framed', 'compact')).to.deep.equal({ transport: 'framed', protocol: 'compact' });
    expect(() => validateWireOptions('http', 'binary', '--')).to.throw(
      InvalidArgumentError,
      '--transport must be buffered or framed, got "http"',
    );
    expect(() => validateWireOptions('buffered', undefined)).to.throw(
      InvalidArgumentError,
      'protocol must be binary or compact, got undefined',
    );
  });
});
