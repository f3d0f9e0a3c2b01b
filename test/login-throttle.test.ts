import { expect } from 'chai';
import { LoginThrottle } from '../server/http/auth/login-throttle';

describe('LoginThrottle: wrong tokens per address', () => {
  let now = 1_000_000;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('past the wrong tokens a window allows, the address waits for the window to end, told how long in seconds', () => {
    const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, now: clock });
    for (let i = 0; i < 3; i++) {
      expect(throttle.waitSeconds('10.0.0.1')).to.equal(undefined);
      throttle.failed('10.0.0.1');
      now += 1000;
    }
    expect(throttle.waitSeconds('10.0.0.1')).to.equal(57);
    expect(throttle.waitSeconds('10.0.0.2'), 'another address').to.equal(undefined);
    now = 1_000_000 + 59_999;
    expect(throttle.waitSeconds('10.0.0.1')).to.equal(1);
    now = 1_000_000 + 60_000;
    expect(throttle.waitSeconds('10.0.0.1'), 'the window is over').to.equal(undefined);
  });

  it('a right token clears the count', () => {
    const throttle = new LoginThrottle({ maxFailures: 2, now: clock });
    throttle.failed('a');
    throttle.succeeded('a');
    throttle.failed('a');
    expect(throttle.waitSeconds('a')).to.equal(undefined);
    throttle.failed('a');
    expect(throttle.waitSeconds('a')).to.be.a('number');
  });

  it('addresses are data (__proto__ too), and at most maxAddresses are remembered', () => {
    const throttle = new LoginThrottle({ maxFailures: 1, maxAddresses: 2, now: clock });
    throttle.failed('__proto__');
    expect(throttle.waitSeconds('__proto__')).to.be.a('number');
    expect(throttle.waitSeconds('constructor')).to.equal(undefined);
    throttle.failed('b');
    throttle.failed('c'); // the least recently seen, __proto__, is forgotten
    expect(throttle.waitSeconds('__proto__')).to.equal(undefined);
    expect(throttle.waitSeconds('c')).to.be.a('number');
  });
});
