import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { FlagDoesNotExistError } from '../../../shared';
import { commandOf, example, itemJson, json, type CommandKit } from '../command-kit';
import { UsageError } from '../errors';
import { writeFlagFile } from '../flag-file';
import { describeBucketer, describeItem, onOff, print, table } from '../output';
import { allFlags, mustGet } from '../session';
import { checksFromJson, checksFromPairs } from '../values';

export function registerReads(program: Command, kit: CommandKit): void {
  const { io } = kit;

  example(
    program
      .command('list')
      .description('list flags: name, state, conditions, bucketer')
      .option('--prefix <text>', 'only flags whose name starts with this')
      .option('--json', 'print a JSON list of the flags as stored'),
    'flipper list --prefix checkout.',
  ).action((...args: unknown[]) =>
    kit.withSession(commandOf(args), async (session, options) => {
      const prefix = (options.prefix as string | undefined) ?? '';
      const items = (await allFlags(session)).filter((item) => item.featureName.startsWith(prefix));
      if (options.json) return print(io, `[${items.map(itemJson).join(', ')}]`);
      if (items.length === 0) return print(io, prefix ? `no flags start with ${JSON.stringify(prefix)}` : 'no flags');
      const rows = items.map((item) => [
        item.featureName,
        onOff(io, item.isEnabled),
        String(item.meta.conditions.length),
        describeBucketer(item.meta.bucketer),
      ]);
      print(io, table(['NAME', 'STATE', 'CONDITIONS', 'BUCKETER'], rows));
    }),
  );

  example(
    program
      .command('show')
      .description("a flag's state, conditions, bucketer and client data")
      .argument('<name>')
      .option('--json', 'print the flag as stored'),
    'flipper show checkout',
  ).action((name: string, ...args: unknown[]) =>
    kit.withSession(commandOf(args), async (session, options) => {
      const item = await mustGet(session, name);
      print(io, options.json ? itemJson(item) : describeItem(io, item));
    }),
  );

  example(
    program
      .command('explain')
      .description('what isEnabled gives for these checks, and why (values are JSON)')
      .argument('<name>')
      .argument('[checks...]', 'key=value, the value JSON: user_id=42 is_admin=true plan=\'"pro"\'')
      .option('--checks <json>', 'the checks as one JSON object instead')
      .option('--json', 'print the explanation as JSON'),
    `flipper explain checkout user_id=42 plan='"pro"'`,
    `flipper explain checkout --checks '{"user_id": 42}'`,
  ).action((name: string, pairs: string[], ...args: unknown[]) =>
    kit.withSession(commandOf(args), async (session, options) => {
      if (options.checks !== undefined && pairs.length > 0) {
        throw new UsageError('give key=value checks or --checks, not both');
      }
      const checks = options.checks !== undefined ? checksFromJson(options.checks as string) : checksFromPairs(pairs);
      const explanation = await session.client.explain(name, checks);
      if (explanation.reason === 'FLAG_NOT_FOUND') throw new FlagDoesNotExistError(name);
      if (explanation.reason === 'ERROR') throw new Error(explanation.error?.message ?? 'evaluation failed');
      if (options.json) return print(io, json(explanation));
      const lines = [`${name}: ${onOff(io, explanation.value)} (${explanation.reason})`];
      const c = explanation.condition;
      if (c) {
        const key = c.operator === null ? c.variable : `${c.variable}__${c.operator}`;
        const verb = explanation.reason === 'CONDITION_FAILED' ? 'failed' : 'held';
        lines.push(`  condition #${c.index} ${key}=${json(c.expected)} ${verb} for ${c.variable}=${json(c.actual)}`);
      }
      const b = explanation.bucketer;
      if (b) {
        const score = b.score === undefined ? '' : ` score ${b.score} vs percentage ${b.percentage}`;
        lines.push(`  bucketer ${b.type}${score}`);
      }
      print(io, lines.join('\n'));
    }),
  );

  example(
    program
      .command('export')
      .description('every flag as stored, as a JSON list (lossless; flipper import reads it)')
      .option('--out <file>', 'write to this file instead of stdout'),
    'flipper export --out flags.json',
  ).action((...args: unknown[]) =>
    kit.withSession(commandOf(args), async (session, options) => {
      const items = await allFlags(session);
      const text = writeFlagFile(items);
      if (options.out === undefined) return void io.stdout.write(text);
      await writeFile(options.out as string, text);
      io.stderr.write(`exported ${items.length} flag${items.length === 1 ? '' : 's'} to ${options.out as string}\n`);
    }),
  );
}
