export * from './errors';
export * from './json';
export * from './clock';
export * from './limits';
export * from './python-json';
// A module of its own: `export { name } from` would redefine an export and slow every import of this index.
export * from './stringify-json';
export * from './conditions';
export * from './bucketing';
export * from './model';
export * from './evaluation';
