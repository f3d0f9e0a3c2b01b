import { Bucketer, BucketerJSON } from '../bucketing/bucketer';
import { NoOpBucketer } from '../bucketing/noop-bucketer';
import { Condition, ConditionJSON } from '../conditions/condition';
import { ClientData } from '../json';

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
    this.clientData = Object.freeze({ ...(init.clientData ?? {}) });
    this.conditions = Object.freeze([...(init.conditions ?? [])]);
    this.bucketer = init.bucketer ?? new NoOpBucketer();
    const variables = new Set<string>();
    for (const condition of this.conditions) for (const v of condition.variables) variables.add(v);
    this.conditionVariables = variables;
  }

  /** A copy with some fields replaced. */
  with(changes: Partial<FeatureFlagStoreMetaInit>): FeatureFlagStoreMeta {
    return new FeatureFlagStoreMeta({
      createdDate: changes.createdDate ?? this.createdDate,
      clientData: changes.clientData ?? this.clientData,
      conditions: changes.conditions ?? this.conditions,
      bucketer: changes.bucketer ?? this.bucketer,
    });
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
