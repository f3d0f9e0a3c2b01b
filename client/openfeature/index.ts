// `flipper-client/openfeature`: the OpenFeature provider. Needs `@openfeature/server-sdk` (an
// optional peer dependency of this package) installed next to it.
export { FlipperProvider, type FlipperProviderOptions } from './flipper-provider';
