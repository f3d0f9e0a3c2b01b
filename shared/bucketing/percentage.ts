import { Clock, systemClock } from '../clock';
import { InvalidPercentageError } from '../errors';
import { storedFields } from './stored-fields';
import { showJson } from '../json-text';

/** A percentage as a fraction in [0, 1] (as Python, any number is stored and compared), fixed or changing over time. */
export interface AbstractPercentage {
  /** The fraction now. */
  readonly value: number;
  /** The Python library's stored form. */
  toJSON(): PercentageJSON;
}

export interface FixedPercentageJSON {
  type: 'Percentage';
  value: number;
}

export interface LinearRampPercentageJSON {
  type: 'LinearRampPercentage';
  initial_value: number;
  final_value: number;
  ramp_duration: number;
  initial_time: number;
}

export type PercentageJSON = FixedPercentageJSON | LinearRampPercentageJSON;

/**
 * A number field of a percentage. `NaN` and the infinities are accepted, as Python stores and
 * evaluates them (at `NaN` a bucketer is never on, at `Infinity` always); a `bigint` is taken by
 * value (only its comparison with a score in [0, 1) matters).
 */
function fraction(name: string, value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'number') throw new InvalidPercentageError(`${name} must be a number, got ${showJson(value)}`);
  return value;
}

/** A fixed percentage: `new Percentage(0.1)` is 10%. */
export class Percentage implements AbstractPercentage {
  readonly value: number;

  constructor(value = 1.0) {
    this.value = fraction('Percentage value', value);
  }

  toJSON(): FixedPercentageJSON {
    return { type: 'Percentage', value: this.value };
  }
}

export interface LinearRampPercentageOptions {
  /** The fraction at `initialTime`. Default 0. */
  initialValue?: number;
  /** The fraction once the ramp is done. Default 1. */
  finalValue?: number;
  /** Seconds from start to finish. Default 3600. */
  rampDuration?: number;
  /** Unix seconds when the ramp starts. Default: now, from `clock`. */
  initialTime?: number;
  /** Source of the current time in Unix seconds. Default: the system clock. */
  clock?: Clock;
}

/**
 * A percentage that moves in a straight line from `initialValue` to `finalValue` over
 * `rampDuration` seconds, then stays at `finalValue`. As in Python, the value is
 * `min(final, initial + (final - initial) * elapsed / duration)`, and `final` when the duration is
 * 0, so a decreasing ramp is at its final value from the start.
 */
export class LinearRampPercentage implements AbstractPercentage {
  readonly initialValue: number;
  readonly finalValue: number;
  readonly rampDuration: number;
  readonly initialTime: number;
  private readonly clock: Clock;
  private readonly slope: number;

  constructor(options: LinearRampPercentageOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.initialValue = fraction('initial_value', options.initialValue ?? 0.0);
    this.finalValue = fraction('final_value', options.finalValue ?? 1.0);
    this.rampDuration = fraction('ramp_duration', options.rampDuration ?? 3600);
    this.initialTime = fraction('initial_time', options.initialTime ?? Math.floor(this.clock()));
    this.slope = this.rampDuration === 0 ? 0 : (this.finalValue - this.initialValue) / this.rampDuration;
  }

  get value(): number {
    if (this.rampDuration === 0) return this.finalValue;
    const elapsed = this.clock() - this.initialTime;
    const ramped = this.initialValue + this.slope * elapsed;
    // Python's min(final, ramped): `final` unless ramped is below it, so NaN gives `final` (Math.min gives NaN).
    return ramped < this.finalValue ? ramped : this.finalValue;
  }

  toJSON(): LinearRampPercentageJSON {
    return {
      type: 'LinearRampPercentage',
      initial_value: this.initialValue,
      final_value: this.finalValue,
      ramp_duration: this.rampDuration,
      initial_time: this.initialTime,
    };
  }
}

/** Options used when rebuilding percentages and bucketers from JSON. */
export interface FactoryOptions {
  clock?: Clock;
}

/** Rebuilds a percentage from its stored form; an unknown `type` throws `InvalidPercentageError`. */
export function percentageFromJSON(json: unknown, options: FactoryOptions = {}): AbstractPercentage {
  const fields = storedFields(json, 'A percentage', InvalidPercentageError);
  switch (fields.type) {
    case 'Percentage':
      return new Percentage(fields.value as number);
    case 'LinearRampPercentage':
      return new LinearRampPercentage({
        initialValue: fields.initial_value as number,
        finalValue: fields.final_value as number,
        rampDuration: fields.ramp_duration as number,
        initialTime: fields.initial_time as number,
        clock: options.clock,
      });
    default:
      throw new InvalidPercentageError(
        `Unknown percentage type ${showJson(fields.type)}; expected Percentage or LinearRampPercentage`,
      );
  }
}
