import pino from 'pino';

/** The logging calls the library makes; a pino logger fits, and so does any object with these. */
export interface FlipperLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

let root: pino.Logger | undefined;

/**
 * A child of one shared pino logger on stderr at `warn`, used when the application passes none.
 * Shared so that many clients or stores do not each open a stream on stderr.
 */
export function defaultLogger(bindings: Record<string, string>): FlipperLogger {
  root ??= pino({ name: 'flipper', level: 'warn' }, pino.destination(2));
  return root.child(bindings);
}
