import pino from 'pino';

/**
 * How the library's pino loggers write errors: the cause as its own object, not appended to the
 * message (pino's default `err` serializer appends it, and our messages already name the cause's
 * words, so each line said them twice: "Redis GET failed: connect ECONNREFUSED ...: connect ECONNREFUSED ...").
 */
export const errorSerializers: { err: (err: Error) => Record<string, unknown> } = {
  err: pino.stdSerializers.errWithCause,
};
