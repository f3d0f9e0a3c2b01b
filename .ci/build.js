// Compiles TypeScript into dist/ and copies what tsc does not: the generated Thrift code and the
// ES module entry. `make build` and npm's `prepare` (a git or folder install) both run it.
'use strict';
/* global __dirname */
const { execFileSync } = require('node:child_process');
const { cpSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

if (process.env.npm_lifecycle_event === 'prepare' && process.env.FLIPPER_SKIP_PREPARE === '1') {
  // `make install` runs `npm ci` and then `make build`: building here as well would build twice.
  process.exit(0);
}
execFileSync(process.execPath, [compiler(), '-p', root], { stdio: 'inherit' });
rmSync(join(root, 'dist', 'gen-nodejs'), { recursive: true, force: true });
cpSync(join(root, 'gen-nodejs'), join(root, 'dist', 'gen-nodejs'), { recursive: true });
cpSync(join(root, 'client', 'index.mjs'), join(root, 'dist', 'client', 'index.mjs'));
// The web console's page, scripts and styles are served as they are (no build step).
const consoleStatic = join(root, 'dist', 'server', 'http', 'console', 'static');
rmSync(consoleStatic, { recursive: true, force: true });
cpSync(join(root, 'server', 'http', 'console', 'static'), consoleStatic, { recursive: true });

/**
 * The TypeScript compiler of this folder. A clean clone installed as a folder (`npm install
 * ../flipper-client`) is linked by npm without its dependencies: they are installed here first
 * (without install scripts: no native driver is built), which also gives the linked package its
 * runtime dependencies.
 */
function compiler() {
  const find = () => require.resolve('typescript/bin/tsc', { paths: [root] });
  try {
    return find();
  } catch {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, FLIPPER_SKIP_PREPARE: '1' },
    });
    return find();
  }
}
