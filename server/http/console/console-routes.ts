import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FeatureFlagClient } from '../../../client/client';
import { send, type HttpListener } from '../http-listener';
import { consoleApi, type ConsoleApiOptions } from './console-api';

/**
 * The browser files: the app (static/), and Preact, htm and uPlot from their packages (no CDN, no
 * build step, no import map: the page's Content-Security-Policy allows no inline script, so the
 * app imports the vendor files by path, and Preact's hooks are served importing `./preact.mjs`).
 */
function assets(): Map<string, { type: string; body: string }> {
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  // Their `exports` hide the ES module files from require.resolve: found from each package's folder.
  const preact = dirname(require.resolve('preact/package.json'));
  const htm = dirname(require.resolve('htm'));
  const uplot = dirname(require.resolve('uplot'));
  const fromPackage = (file: string) => readFileSync(file, 'utf8');
  const own = (file: string) => readFileSync(join(__dirname, 'static', file), 'utf8');
  const hooks = fromPackage(join(preact, 'hooks', 'dist', 'hooks.mjs'));
  const hooksByPath = hooks.replace(/from\s*(["'])preact\1/g, 'from"./preact.mjs"');
  if (hooksByPath === hooks) throw new Error('preact/hooks no longer imports "preact": update console-routes.ts');
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: own('index.html') }],
    ['/console/app.js', { type: js, body: own('app.js') }],
    ['/console/python-json.js', { type: js, body: own('python-json.js') }],
    ['/console/console.css', { type: css, body: own('console.css') }],
    ['/console/vendor/preact.mjs', { type: js, body: fromPackage(join(preact, 'dist', 'preact.mjs')) }],
    ['/console/vendor/hooks.mjs', { type: js, body: hooksByPath }],
    ['/console/vendor/htm.mjs', { type: js, body: fromPackage(join(htm, 'htm.mjs')) }],
    ['/console/vendor/uPlot.esm.js', { type: js, body: fromPackage(join(uplot, 'uPlot.esm.js')) }],
    ['/console/vendor/uPlot.min.css', { type: css, body: fromPackage(join(uplot, 'uPlot.min.css')) }],
  ]);
}

/** Adds the web console (page, scripts, `/api/`) to a listener. */
export function addConsole(
  listener: HttpListener,
  client: FeatureFlagClient,
  api: Omit<ConsoleApiOptions, 'client'>,
): void {
  for (const [path, asset] of assets()) {
    listener.get(path, (_request, response) => send(response, 200, asset.body, asset.type));
  }
  listener.get('/favicon.ico', (_request, response) => void response.writeHead(204).end());
  listener.under('/api/', consoleApi({ client, ...api }));
}
