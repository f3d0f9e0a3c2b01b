// `flipper-client/testing`: the store conformance suite, for mocha spec files (mocha and chai are
// optional peer dependencies: only this entry needs them). `import` loads this CommonJS module
// too: Node finds its named exports, so no ES module wrapper is needed.
export { describeStoreConformance } from './store-conformance';
export type { Capability, ConformanceContext, FaultyBackend, FaultyEndpoint, StoreConformanceOptions } from './options';
export type { LoggedLine, RecordingLogger } from './recording-logger';
