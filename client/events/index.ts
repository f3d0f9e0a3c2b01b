export * from './event-type';
export * from './event-args';
export * from './subscriber';
export * from './emitter';
