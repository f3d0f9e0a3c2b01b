export * from './feature-flag-store';
export * from './memory-store';
export * from './serialized-store';
export * from './sqlite-store';
export * from './redis-store';
export * from './postgres-store';
