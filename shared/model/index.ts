export * from './meta';
export * from './item';
export * from './codec';
