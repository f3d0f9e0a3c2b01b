export * from '../shared';
export * from './client';
export * from './feature-flag';
export * from './explanation';
export * from './logger';
export * from './events';
export * as decorators from './decorators';
export * from './stores';
