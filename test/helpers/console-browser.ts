import { join } from 'node:path';

/** Debian's chromium (`make install` installs it), driven by playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';

/** `make screenshots` sets UPDATE_SCREENSHOTS: the README's pictures are written where it shows them. */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(__dirname, '..', '..', '..', 'docs', 'screenshots')
  : join(__dirname, '..', 'screenshots');

/** Resolves once `test()` holds; rejects naming `what` after `ms`. */
export async function until(what: string, test: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
