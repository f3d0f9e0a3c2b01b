import { expect } from 'chai';
import { RecentScores } from '../shared/bucketing/recent-scores';
import { SeededRandom } from './helpers/seeded-random';

describe('RecentScores: the score memo table', function () {
  it('holds at most max entries (max + 1 for an odd max), and keeps the last ceil(max / 2) stored', function () {
    for (const max of [1, 2, 3, 10, 11]) {
      const kept = Math.ceil(max / 2);
      for (let stored = 1; stored <= 30; stored++) {
        const table = new RecentScores<number>(max);
        for (let key = 0; key < stored; key++) table.set(key, key / 100);
        expect(table.size, `max ${max}, ${stored} stored`).to.be.at.most(2 * kept);
        // Newest first: a hit in the older half moves the key, and the moves fit without a swap.
        for (let key = stored - 1; key >= Math.max(0, stored - kept); key--) {
          expect(table.get(key), `max ${max}, ${stored} stored: key ${key}`).to.equal(key / 100);
        }
        expect(table.size).to.be.at.most(2 * kept);
      }
    }
  });

  it('keeps a key in use through the swaps: a hit in the older half moves it to the newer', function () {
    const table = new RecentScores<string>(4);
    table.set('kept', 0.5);
    for (let i = 0; i < 50; i++) {
      table.set(`passing ${i}`, 0.01);
      expect(table.get('kept'), `after ${i + 1} others`).to.equal(0.5);
    }
    expect(table.size).to.be.at.most(4);
  });

  it('answers what was last set for every key it still holds, for seeded random uses', function () {
    const random = new SeededRandom(13);
    const table = new RecentScores<number>(16);
    const truth = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      const key = random.int(40);
      const held = table.get(key);
      if (held !== undefined) expect(held, `key ${key}`).to.equal(truth.get(key));
      else {
        const score = random.int(100) / 100;
        truth.set(key, score);
        table.set(key, score);
      }
      expect(table.size).to.be.at.most(16);
    }
  });
});
