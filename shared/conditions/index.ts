export * from './operator';
export * from './check';
export * from './condition';
