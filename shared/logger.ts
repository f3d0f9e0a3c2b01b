/** The logging calls the library makes; a pino logger fits, and so does any object with these. */
export interface FlipperLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
