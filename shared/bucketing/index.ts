export * from './bucketer';
export * from './percentage';
export * from './noop-bucketer';
export * from './percentage-bucketer';
export * from './consistent-hash-bucketer';
export * from './consistent-hash';
export * from './bucketer-factory';
