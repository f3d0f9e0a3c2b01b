// The ESM entry: the same named exports as index.js (Node reads that file's export list), checked by
// test/package-surface.test.ts.
export * from './index.js';
