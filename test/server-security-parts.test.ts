import { expect } from 'chai';
import type { PeerCertificate } from 'node:tls';
import { recordingLogger } from '../client/testing/recording-logger';
import { KeyedRateLog } from '../server/security/keyed-rate-log';
import { identityOf } from '../server/security/peer-identity';

describe('security parts: rate-limited refusal log, certificate identities', function () {
  describe('KeyedRateLog', function () {
    it('logs a key once per window, then with the count it left out', function () {
      const logger = recordingLogger();
      let now = 0;
      const log = new KeyedRateLog(logger, 'refused', { windowMs: 1000, now: () => now });
      for (let i = 0; i < 5; i++) log.note('10.0.0.1', { reason: 'x' });
      log.note('10.0.0.2', { reason: 'y' });
      expect(logger.lines.map((l) => l.obj)).to.deep.equal([{ reason: 'x' }, { reason: 'y' }]);
      now = 1000;
      log.note('10.0.0.1', { reason: 'x' });
      expect(logger.lines[2].obj).to.deep.equal({ reason: 'x', suppressed: 4 });
      expect(logger.lines.every((l) => l.level === 'warn' && l.msg === 'refused')).to.equal(true);
    });

    it('writes at most maxLinesPerWindow lines in all, and remembers at most maxKeys keys', function () {
      const logger = recordingLogger();
      let now = 0;
      const log = new KeyedRateLog(logger, 'refused', {
        windowMs: 1000,
        maxLinesPerWindow: 10,
        maxKeys: 50,
        now: () => now,
      });
      for (let i = 0; i < 10_000; i++) log.note(`10.0.${i >> 8}.${i & 255}`, {});
      expect(logger.lines).to.have.length(10);
      now = 1000;
      log.note('192.168.0.1', {});
      expect(logger.lines[10].obj).to.deep.equal({ suppressedOverall: 9990 });
      expect((log as unknown as { seen: { size: number } }).seen.size).to.be.at.most(50);
    });
  });

  describe('identityOf', function () {
    const cert = (subject: Record<string, unknown>, subjectaltname?: string) =>
      ({ subject, subjectaltname }) as unknown as PeerCertificate;

    it('takes the CN and every subjectAltName value, without their tags', function () {
      expect(
        identityOf(cert({ CN: 'deployer' }, 'DNS:ci.internal, URI:spiffe://flags/ci, IP Address:10.0.0.7')),
      ).to.deep.equal({
        name: 'deployer',
        commonName: 'deployer',
        altNames: ['ci.internal', 'spiffe://flags/ci', '10.0.0.7'],
      });
    });

    it('a value Node quotes (it holds a comma) stays one name, so it cannot pass for two', function () {
      const identity = identityOf(cert({}, 'DNS:"evil, DNS:deployer", email:a@b.example'));
      expect(identity?.altNames).to.deep.equal(['evil, DNS:deployer', 'a@b.example']);
      expect(identity?.name).to.equal('evil, DNS:deployer');
    });

    it('several CNs: the last; none and no SAN: nobody', function () {
      expect(identityOf(cert({ CN: ['outer', 'inner'] }))?.name).to.equal('inner');
      expect(identityOf(cert({ O: 'acme' }))).to.equal(undefined);
    });
  });
});
