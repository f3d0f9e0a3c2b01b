import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { ConsistentHashPercentageBucketer, Percentage } from '../client';
import { hashScore, serializeChecks } from '../shared/bucketing/consistent-hash';
import { hashVectors } from './helpers/fixtures';

describe('consistent hashing is byte-compatible with Python', function () {
  const vectors = hashVectors();

  it('has the 400 vectors made by the Python library', function () {
    expect(vectors).to.have.length(400);
  });

  it('serializes every vector exactly as Python json.dumps does', function () {
    for (const v of vectors) {
      expect(serializeChecks(v.checks, new Set(v.key_whitelist)), JSON.stringify(v.checks)).to.equal(v.serialized);
    }
  });

  it('scores every vector as Python does (sha1, exact mod 100)', function () {
    for (const v of vectors) expect(hashScore(v.serialized), v.serialized).to.equal(v.score);
  });

  it('enables a vector at its score and above, and not below', function () {
    for (const v of vectors) {
      const at = (p: number) =>
        new ConsistentHashPercentageBucketer({ keyWhitelist: v.key_whitelist, percentage: new Percentage(p) }).check(
          v.checks,
        );
      const label = JSON.stringify(v.checks);
      expect(at(v.score), label).to.equal(v.score > 0);
      expect(at(v.score + 0.001), label).to.equal(true);
      if (v.score > 0) expect(at(v.score - 0.001), label).to.equal(false);
      expect(at(0.5), label).to.equal(v.enabled_at_50_percent);
    }
  });

  it('does not lose precision on the 160-bit digest (parseInt(hex, 16) % 100 would)', function () {
    // Found by comparing against BigInt: the float path gives another bucket for this input.
    const serialized = '[["user_id", 1]]';
    const digest = createHash('sha1').update(serialized).digest('hex');
    const exact = Number(BigInt('0x' + digest) % 100n) / 100;
    expect(hashScore(serialized)).to.equal(exact);
    expect(hashScore(serialized)).to.equal(0.48); // the Python README: "bucket is 0.48"
  });

  it('puts the README users where the Python README says: user 1 at 0.48, user 2 at 0.94', function () {
    const bucketer = new ConsistentHashPercentageBucketer({
      keyWhitelist: ['user_id'],
      percentage: new Percentage(0.5),
    });
    expect(bucketer.score({ user_id: 1 })).to.equal(0.48);
    expect(bucketer.score({ user_id: 2 })).to.equal(0.94);
  });
});
