import { InvalidBucketerError } from '../errors';
import { Bucketer } from './bucketer';
import { ConsistentHashPercentageBucketer } from './consistent-hash-bucketer';
import { NoOpBucketer } from './noop-bucketer';
import { FactoryOptions, percentageFromJSON } from './percentage';
import { PercentageBucketer } from './percentage-bucketer';
import { storedFields } from './stored-fields';
import { Random } from '../clock';
import { showJson } from '../json-text';

export interface BucketerFactoryOptions extends FactoryOptions {
  random?: Random;
}

/** Rebuilds a bucketer from its stored form; an unknown `type` throws `InvalidBucketerError`. */
export function bucketerFromJSON(json: unknown, options: BucketerFactoryOptions = {}): Bucketer {
  const fields = storedFields(json, 'A bucketer', InvalidBucketerError);
  switch (fields.type) {
    case 'NoOpBucketer':
      return new NoOpBucketer();
    case 'PercentageBucketer':
      return new PercentageBucketer({ percentage: percentageOf(fields, options), random: options.random });
    case 'ConsistentHashPercentageBucketer': {
      const whitelist = fields.key_whitelist ?? [];
      if (!Array.isArray(whitelist) || !whitelist.every((k) => typeof k === 'string')) {
        throw new InvalidBucketerError(`key_whitelist must be a list of strings, got ${showJson(whitelist)}`);
      }
      return new ConsistentHashPercentageBucketer({
        keyWhitelist: whitelist,
        percentage: percentageOf(fields, options),
      });
    }
    default:
      throw new InvalidBucketerError(
        `Unknown bucketer type ${showJson(fields.type)}; expected NoOpBucketer, PercentageBucketer or ConsistentHashPercentageBucketer`,
      );
  }
}

function percentageOf(fields: Record<string, unknown>, options: FactoryOptions) {
  return fields.percentage === undefined ? undefined : percentageFromJSON(fields.percentage, options);
}
