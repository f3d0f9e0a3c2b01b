export * from './flag-server';
export * from './handler';
export * from './store-url';
export { parseCli, helpText, type CliOptions } from './cli-options';
