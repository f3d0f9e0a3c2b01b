import type { Command } from 'commander';
import type { FeatureFlagStoreItem } from '../../../shared';
import { BUCKETER_KINDS, bucketerFromArgs, type BucketerArgs } from '../bucketer-args';
import {
  commandOf,
  confirm,
  contextOf,
  example,
  writeOptions,
  type CommandKit,
  type CommandOptions,
} from '../command-kit';
import { describeBucketer, onOff, print } from '../output';
import { mustGet, type Session } from '../session';
import { clientDataFromJson, conditionFromKeywords, conditionsFromJson } from '../values';
import { writingAs } from '../write-context';
import type { FeatureFlagClient } from '../../../client/client';

/**
 * Every write goes through the client (the same conditional path as a program's), inside the
 * invocation's write context (`writingAs`); it returns the line that says what happened.
 */
type Write = (client: FeatureFlagClient, session: Session, options: CommandOptions) => Promise<string>;

export function registerWrites(program: Command, kit: CommandKit): void {
  const { io } = kit;
  const run = (name: string, args: unknown[], write: Write) =>
    kit.withSession(commandOf(args), async (session, options) => {
      const done = await writingAs(contextOf(io, options), () => write(session.client, session, options));
      print(io, done);
    });
  const state = (item: FeatureFlagStoreItem) => onOff(io, item.isEnabled);

  example(
    writeOptions(
      program
        .command('create')
        .description('create a flag (off unless --enabled); replaces one of the same name')
        .argument('<name>')
        .option('--enabled', 'create it on')
        .option('--client-data <json>', 'a JSON object stored with the flag'),
    ),
    `flipper create checkout --enabled --client-data '{"owner": "payments"}'`,
  ).action((name: string, ...args: unknown[]) =>
    run(name, args, async (client, session, options) => {
      const clientData =
        options.clientData === undefined
          ? undefined
          : clientDataFromJson(options.clientData as string, '--client-data');
      await client.create(name, { isEnabled: options.enabled === true, clientData });
      return `created ${name} (${state(await mustGet(session, name))})`;
    }),
  );

  for (const [command, on] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    example(
      writeOptions(
        program
          .command(command)
          .description(`turn a flag ${on ? 'on' : 'off'}`)
          .argument('<name>'),
      ),
      `flipper ${command} checkout --reason "incident 4521"`,
    ).action((name: string, ...args: unknown[]) =>
      run(name, args, async (client) => {
        if (on) await client.enable(name);
        else await client.disable(name);
        return `${name} is ${onOff(io, on)}`;
      }),
    );
  }

  example(
    writeOptions(
      program
        .command('delete')
        .description('delete a flag (asks first unless --yes)')
        .argument('<name>')
        .option('-y, --yes', 'do not ask'),
    ),
    'flipper delete old-banner --yes',
  ).action((name: string, ...args: unknown[]) =>
    kit.withSession(commandOf(args), async (session, options) => {
      const context = contextOf(io, options);
      await mustGet(session, name);
      if (options.yes !== true && !(await confirm(io, 'delete', `Delete flag ${JSON.stringify(name)}?`))) {
        return print(io, 'not deleted');
      }
      await writingAs(context, () => session.client.destroy(name));
      print(io, `deleted ${name}`);
    }),
  );

  example(
    writeOptions(
      program
        .command('add-condition')
        .description('add a condition: every check must hold for the keys a caller passes (values are JSON)')
        .argument('<name>')
        .argument('<checks...>', 'key__op=value; op one of gt gte lt lte ne in not_in, none for equality'),
    ),
    `flipper add-condition checkout age__gte=18 plan__in='["pro", "team"]'`,
  ).action((name: string, pairs: string[], ...args: unknown[]) =>
    run(name, args, async (client, session) => {
      const condition = conditionFromKeywords(pairs);
      await client.addCondition(name, condition);
      return `${name}: added condition #${(await mustGet(session, name)).meta.conditions.length - 1}`;
    }),
  );

  example(
    writeOptions(
      program
        .command('set-conditions')
        .description("replace a flag's conditions with a JSON list in their stored form ([] clears them)")
        .argument('<name>')
        .requiredOption('--json <list>', 'the list, as show --json prints meta.conditions'),
    ),
    `flipper set-conditions checkout --json '[{"age": [{"variable": "age", "value": 18, "operator": "gte"}]}]'`,
  ).action((name: string, ...args: unknown[]) =>
    run(name, args, async (client, session, options) => {
      const conditions = conditionsFromJson(String(options.json));
      await client.setConditions(name, conditions);
      return `${name}: ${conditions.length} condition${conditions.length === 1 ? '' : 's'}`;
    }),
  );

  example(
    writeOptions(
      program
        .command('set-bucketer')
        .description(`set the share of traffic that is on: ${BUCKETER_KINDS.join(' | ')}`)
        .argument('<name>')
        .argument('<kind>', BUCKETER_KINDS.join(' | '))
        .argument('[fraction]', 'for percentage and consistent: 0.25 or 25%')
        .option('--keys <list>', 'consistent: the check keys hashed, comma separated (default every key)')
        .option('--consistent', 'ramp: the same users stay on as it grows (consistent hash)')
        .option('--from <fraction>', 'ramp: where it starts now (default 0)')
        .option('--to <fraction>', 'ramp: where it ends (default 1)')
        .option('--over <duration>', 'ramp: how long, like 90s, 30m, 2h, 1d'),
    ),
    'flipper set-bucketer checkout consistent 0.25 --keys user_id',
    'flipper set-bucketer checkout ramp --from 0 --to 1 --over 2h --keys user_id',
    'flipper set-bucketer checkout none',
  ).action((name: string, kind: string, fraction: string | undefined, ...args: unknown[]) =>
    run(name, args, async (client, session, options) => {
      const bucketer = bucketerFromArgs(kind, fraction, options as BucketerArgs, io.now());
      await client.setBucketer(name, bucketer);
      return `${name}: bucketer ${describeBucketer(bucketer)}`;
    }),
  );

  example(
    writeOptions(
      program
        .command('set-client-data')
        .description("merge a JSON object into a flag's client data (top-level keys replace)")
        .argument('<name>')
        .argument('<json>'),
    ),
    `flipper set-client-data checkout '{"owner": "payments", "ticket": 4521}'`,
  ).action((name: string, text: string, ...args: unknown[]) =>
    run(name, args, async (client) => {
      await client.setClientData(name, clientDataFromJson(text, 'client data'));
      return `${name}: client data updated`;
    }),
  );
}
