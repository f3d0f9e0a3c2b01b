import { expect } from 'chai';
import { measureFanOut } from './helpers/replica-fanout';

// One server, a thousand replicas attached (each its own connection, all in this process): one
// change reaches every one of them, and the server's memory stays bounded. The figures are printed
// here and in `make bench`.
describe('replica fan-out: 1,000 replicas on one server', function () {
  this.timeout(120_000);

  it('all see one change, and the server grows by under 100 MB with them attached', async () => {
    const result = await measureFanOut(1000);
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    console.log(
      `      ${result.replicas} replicas: attached in ${result.attachMs} ms; one change seen by all ${result.allSeenMs} ms ` +
        `after the write was sent; server RSS ${mb(result.rssBefore)} MB -> ${mb(result.rssAfter)} MB ` +
        `(+${mb(result.rssAfter - result.rssBefore)} MB)`,
    );
    expect(result.rssAfter - result.rssBefore).to.be.lessThan(100 * 1024 * 1024);
    // The target is 1 s (see `make bench`); a machine shared with other test runs gets some slack here.
    expect(result.allSeenMs).to.be.lessThan(5000);
  });
});
