import pino from 'pino';
import type { FlipperLogger } from '../shared/logger';
import { errorSerializers } from './log-serializers';

export type { FlipperLogger } from '../shared/logger';

let root: pino.Logger | undefined;

/**
 * A child of one shared pino logger on stderr at `warn`, used when the application passes none.
 * Shared so that many clients or stores do not each open a stream on stderr.
 */
export function defaultLogger(bindings: Record<string, string>): FlipperLogger {
  root ??= pino({ name: 'flipper', level: 'warn', serializers: errorSerializers }, pino.destination(2));
  return root.child(bindings);
}
