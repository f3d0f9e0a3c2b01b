import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FeatureFlagClient } from '../../../client/client';
import { send, type HttpListener } from '../http-listener';
import { consoleApi } from './console-api';

/** The browser files: the app (static/), and Preact, htm and uPlot from their packages (no CDN, no build step). */
function assets(): Map<string, { type: string; body: string }> {
  const js = 'text/javascript; charset=utf-8';
  // Their `exports` hide the ES module files from require.resolve: found from each package's folder.
  const preact = dirname(require.resolve('preact/package.json'));
  const htm = dirname(require.resolve('htm'));
  const uplot = dirname(require.resolve('uplot'));
  const fromPackage = (file: string) => readFileSync(file, 'utf8');
  const own = (file: string) => readFileSync(join(__dirname, 'static', file), 'utf8');
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: own('index.html') }],
    ['/console/app.js', { type: js, body: own('app.js') }],
    ['/console/vendor/preact.mjs', { type: js, body: fromPackage(join(preact, 'dist', 'preact.mjs')) }],
    ['/console/vendor/hooks.mjs', { type: js, body: fromPackage(join(preact, 'hooks', 'dist', 'hooks.mjs')) }],
    ['/console/vendor/htm.mjs', { type: js, body: fromPackage(join(htm, 'htm.mjs')) }],
    ['/console/vendor/uPlot.esm.js', { type: js, body: fromPackage(join(uplot, 'uPlot.esm.js')) }],
    [
      '/console/vendor/uPlot.min.css',
      { type: 'text/css; charset=utf-8', body: fromPackage(join(uplot, 'uPlot.min.css')) },
    ],
  ]);
}

/** Adds the web console (page, scripts, `/api/`) to a listener. */
export function addConsole(listener: HttpListener, client: FeatureFlagClient, writes: boolean): void {
  const files = assets();
  // The page's one inline script is its import map: allowed by its hash, nothing else inline.
  const importMap = files.get('/')!.body.match(/<script type="importmap">([\s\S]*?)<\/script>/)![1];
  const hash = createHash('sha256').update(importMap).digest('base64');
  const policy = `default-src 'self'; script-src 'self' 'sha256-${hash}'; style-src 'self' 'unsafe-inline'`;
  for (const [path, asset] of files) {
    listener.get(path, (_request, response) => {
      response.setHeader('Content-Security-Policy', policy);
      response.setHeader('X-Frame-Options', 'DENY');
      send(response, 200, asset.body, asset.type);
    });
  }
  listener.get('/favicon.ico', (_request, response) => void response.writeHead(204).end());
  listener.under('/api/', consoleApi({ client, writes }));
}
