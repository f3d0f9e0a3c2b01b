import { Bucketer, BucketerJSON } from '../bucketing/bucketer';
import { NoOpBucketer } from '../bucketing/noop-bucketer';
import { Condition, ConditionJSON } from '../conditions/condition';
import { ClientData } from '../json';
import { rememberStoredForm, storedFormOf } from './stored-forms';

/** The Python library's stored form of a flag's meta (`FeatureFlagStoreMeta.to_dict()`). */
export interface FeatureFlagStoreMetaJSON {
  client_data: ClientData;
  created_date: number;
  conditions: ConditionJSON[];
  bucketer: BucketerJSON;
}

export interface FeatureFlagStoreMetaInit {
  /** Unix seconds. */
  createdDate: number;
  clientData?: ClientData;
  conditions?: readonly Condition[];
  bucketer?: Bucketer;
}

/** Everything about a flag except its name and on/off state. Immutable: updates make a new one. */
export class FeatureFlagStoreMeta {
  /** When the flag was created, in Unix seconds. */
  readonly createdDate: number;
  readonly clientData: Readonly<ClientData>;
  readonly conditions: readonly Condition[];
  readonly bucketer: Bucketer;
  /** Every variable that some condition checks, for the evaluator's precedence rule. */
  readonly conditionVariables: ReadonlySet<string>;

  constructor(init: FeatureFlagStoreMetaInit) {
    this.createdDate = init.createdDate;
    // A spread copies every own key as data (`__proto__` included).
    this.clientData = Object.freeze({ ...(init.clientData ?? {}) });
    const stored = init.clientData && storedFormOf(init.clientData);
    if (stored !== undefined) rememberStoredForm(this.clientData, stored);
    this.conditions = Object.freeze([...(init.conditions ?? [])]);
    this.bucketer = init.bucketer ?? new NoOpBucketer();
    const variables = new Set<string>();
    for (const condition of this.conditions) for (const v of condition.variables) variables.add(v);
    this.conditionVariables = variables;
  }

  /**
   * A copy with some fields replaced. Values read from a store keep their stored text when written
   * back as long as they are unchanged (new client data is compared with the old, key by key).
   */
  with(changes: Partial<FeatureFlagStoreMetaInit>): FeatureFlagStoreMeta {
    const clientData = changes.clientData ?? this.clientData;
    const storedData = storedFormOf(this.clientData);
    if (storedData !== undefined && storedFormOf(clientData) === undefined) rememberStoredForm(clientData, storedData);
    const next = new FeatureFlagStoreMeta({
      createdDate: changes.createdDate ?? this.createdDate,
      clientData,
      conditions: changes.conditions ?? this.conditions,
      bucketer: changes.bucketer ?? this.bucketer,
    });
    const storedDate = storedFormOf(this);
    if (storedDate !== undefined) rememberStoredForm(next, storedDate);
    return next;
  }

  toJSON(): FeatureFlagStoreMetaJSON {
    return {
      client_data: this.clientData as ClientData,
      created_date: this.createdDate,
      conditions: this.conditions.map((c) => c.toJSON()),
      bucketer: this.bucketer.toJSON(),
    };
  }
}
