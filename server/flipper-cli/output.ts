import type { Writable } from 'node:stream';
import type { Bucketer, Condition, FeatureFlagStoreItem } from '../../shared';
import { stringifyJson } from '../../shared/stringify-json';
import { LinearRampPercentage, type AbstractPercentage } from '../../shared/bucketing/percentage';

/** Where a command writes, and whether a person is watching (colour, prompts, progress bars). */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadableStream;
  /** stdout is a terminal: colour on/off. */
  colour: boolean;
  /** stdin and stderr are terminals: prompts and progress bars. */
  interactive: boolean;
  env: NodeJS.ProcessEnv;
  /** Unix seconds now (ramps start now). */
  now(): number;
  /**
   * Calls `stop` on SIGINT or SIGTERM, for a command that runs until stopped (`watch`); returns
   * the function that stops listening. Other commands leave the signals' default (exit at once).
   */
  onStop(stop: () => void): () => void;
}

export function print(io: CliIo, text = ''): void {
  io.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';

/** `on` in green or `off` in red, coloured only on a terminal. */
export function onOff(io: CliIo, enabled: boolean): string {
  const word = enabled ? 'on' : 'off';
  if (!io.colour) return word;
  return `${enabled ? GREEN : RED}${word}${RESET}`;
}

/** Columns padded to their widest cell; colour codes do not count as width. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  // eslint-disable-next-line no-control-regex -- terminal colour codes are what is removed
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visible(c))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A percentage as people read it: `25%`, or `0%→100% over 7200s (now 12.5%)` for a ramp. */
export function describePercentage(p: AbstractPercentage): string {
  const pct = (f: number) => `${Number((f * 100).toFixed(4))}%`;
  if (p instanceof LinearRampPercentage) {
    return `ramp ${pct(p.initialValue)}→${pct(p.finalValue)} over ${p.rampDuration}s from ${p.initialTime} (now ${pct(p.value)})`;
  }
  return pct(p.value);
}

/** One line for a bucketer: `none`, `percentage 25%`, `consistent 25% keys user_id`. */
export function describeBucketer(bucketer: Bucketer): string {
  const json = bucketer.toJSON();
  switch (json.type) {
    case 'NoOpBucketer':
      return 'none';
    case 'PercentageBucketer':
      return `percentage ${describePercentage((bucketer as unknown as { percentage: AbstractPercentage }).percentage)}`;
    case 'ConsistentHashPercentageBucketer': {
      const keys = json.key_whitelist.length > 0 ? ` keys ${json.key_whitelist.join(',')}` : '';
      return `consistent ${describePercentage((bucketer as unknown as { percentage: AbstractPercentage }).percentage)}${keys}`;
    }
  }
}

/** A condition as keywords: `age__gte=18 plan__in=["pro"]`. */
export function describeCondition(condition: Condition): string {
  const parts: string[] = [];
  for (const variable of condition.variables) {
    for (const check of condition.checksFor(variable)!) {
      const key = check.operator === null ? variable : `${variable}__${check.operator}`;
      parts.push(`${key}=${stringifyJson(check.value)}`);
    }
  }
  return parts.join(' ');
}

/** `show NAME` for people. */
export function describeItem(io: CliIo, item: FeatureFlagStoreItem): string {
  const meta = item.meta;
  const lines = [
    `name         ${item.featureName}`,
    `state        ${onOff(io, item.isEnabled)}`,
    `created      ${new Date(meta.createdDate * 1000).toISOString()}`,
    `bucketer     ${describeBucketer(meta.bucketer)}`,
    `conditions   ${meta.conditions.length === 0 ? '(none)' : ''}`.trimEnd(),
    ...meta.conditions.map((c, i) => `  ${i}: ${describeCondition(c)}`),
    `client data  ${stringifyJson(meta.clientData)}`,
  ];
  return lines.join('\n');
}
