export * from './meta';
export * from './item';
export * from './codec';
export type { HistoryEntry, HistoryOptions, RollbackOptions, WriteContext } from './history';
export {
  describeChange,
  describeBucketer,
  describeCondition,
  type ChangeLine,
  type ChangeField,
  type StoredChange,
} from './history-diff';
