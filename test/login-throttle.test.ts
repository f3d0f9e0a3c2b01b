import { expect } from 'chai';
import { HttpError } from '../server/http/http-error';
import { LoginThrottle } from '../server/http/auth/login-throttle';

/** The refusal `check` throws, or undefined when it lets the login through. */
function refusal(throttle: LoginThrottle, address: string): HttpError | undefined {
  try {
    throttle.check(address);
    return undefined;
  } catch (error) {
    expect(error).to.be.instanceOf(HttpError);
    return error as HttpError;
  }
}

describe('LoginThrottle: wrong tokens per address', () => {
  let now = 1_000_000;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('past the wrong tokens a window allows, the address waits for the window to end, told how long', () => {
    const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, now: clock });
    for (let i = 0; i < 3; i++) {
      expect(refusal(throttle, '10.0.0.1')).to.equal(undefined);
      throttle.failed('10.0.0.1');
      now += 1000;
    }
    const refused = refusal(throttle, '10.0.0.1')!;
    expect(refused.status).to.equal(429);
    expect(refused.headers).to.deep.equal({ 'Retry-After': '57' });
    expect(refused.message).to.equal('too many wrong tokens from this address: try again in 57 s');
    expect(refusal(throttle, '10.0.0.2'), 'another address').to.equal(undefined);
    now = 1_000_000 + 59_999;
    expect(refusal(throttle, '10.0.0.1')!.headers).to.deep.equal({ 'Retry-After': '1' });
    now = 1_000_000 + 60_000;
    expect(refusal(throttle, '10.0.0.1'), 'the window is over').to.equal(undefined);
  });

  it('a right token clears the count', () => {
    const throttle = new LoginThrottle({ maxFailures: 2, now: clock });
    throttle.failed('a');
    throttle.succeeded('a');
    throttle.failed('a');
    expect(refusal(throttle, 'a')).to.equal(undefined);
    throttle.failed('a');
    expect(refusal(throttle, 'a')?.status).to.equal(429);
  });

  it('addresses are data (__proto__ too), and at most maxAddresses are remembered', () => {
    const throttle = new LoginThrottle({ maxFailures: 1, maxAddresses: 2, now: clock });
    throttle.failed('__proto__');
    expect(refusal(throttle, '__proto__')?.status).to.equal(429);
    expect(refusal(throttle, 'constructor')).to.equal(undefined);
    throttle.failed('b');
    throttle.failed('c'); // the least recently seen, __proto__, is forgotten
    expect(refusal(throttle, '__proto__')).to.equal(undefined);
    expect(refusal(throttle, 'c')?.status).to.equal(429);
  });
});
