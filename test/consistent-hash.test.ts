import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { ConsistentHashPercentageBucketer, Percentage } from '../client';
import { hashScore, serializeChecks } from '../shared/bucketing/consistent-hash';
import { hashVectors } from './helpers/fixtures';

/**
 * The vectors' serialized text as the decided rule gives it for the same JavaScript values: every
 * integral number is hashed as a Python int (`../shared/spec/decisions.md`, "Values Python writes").
 * Python made a few vectors with whole floats beyond 2^53 (`1e+21`, `2.5e+16`,
 * `1.7976931348623157e+308`): a JavaScript number cannot say it is a float, so those hash as the
 * int of the same value, as a Python caller passing that int would.
 */
function asIntegralRule(serialized: string): string {
  return serialized.replace(/(?<=[[ ])-?\d+(?:\.\d+)?e\+\d+(?=[,\]}])/g, (token) => BigInt(Number(token)).toString());
}

describe('consistent hashing is byte-compatible with Python', function () {
  const vectors = hashVectors();
  const whole = vectors.filter((v) => asIntegralRule(v.serialized) === v.serialized);
  const superseded = vectors.filter((v) => asIntegralRule(v.serialized) !== v.serialized);

  it('has the 400 vectors made by the Python library (21 hash a whole float beyond 2^53)', function () {
    expect(vectors).to.have.length(400);
    expect(superseded).to.have.length(21);
  });

  it('serializes every vector exactly as Python json.dumps does', function () {
    for (const v of whole) {
      expect(serializeChecks(v.checks, new Set(v.key_whitelist)), JSON.stringify(v.checks)).to.equal(v.serialized);
    }
  });

  it('serializes a whole number beyond 2^53 as Python writes that int (the 21 vectors where Python had a float)', function () {
    for (const v of superseded) {
      const ours = serializeChecks(v.checks, new Set(v.key_whitelist));
      expect(ours, JSON.stringify(v.checks)).to.equal(asIntegralRule(v.serialized));
      expect(ours).to.not.match(/e\+/);
    }
  });

  it('scores every vector as Python does (sha1, exact mod 100)', function () {
    for (const v of vectors) expect(hashScore(v.serialized), v.serialized).to.equal(v.score);
  });

  it('enables a vector at its score and above, and not below', function () {
    for (const v of whole) {
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
