import type { FlipperLogger } from '../logger';

export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg?: string;
}

/** A logger that keeps what it is given, so a case can check what a store logged. */
export interface RecordingLogger extends FlipperLogger {
  readonly lines: LoggedLine[];
  /** The lines at `level`. */
  at(level: LoggedLine['level']): LoggedLine[];
}

export function recordingLogger(): RecordingLogger {
  const lines: LoggedLine[] = [];
  const record = (level: LoggedLine['level']) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return {
    lines,
    at: (level) => lines.filter((line) => line.level === level),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}
