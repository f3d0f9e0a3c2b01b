import type { Command } from 'commander';
import { describeChange, FlagDoesNotExistError } from '../../../shared';
import { serializeItem } from '../../../shared/model/codec';
import { revisionOf } from '../../../shared/model/revision';
import { commandOf, confirm, contextOf, example, writeOptions, type CommandKit } from '../command-kit';
import { NotFoundError, UsageError } from '../errors';
import { entryChanges, historyJson, historyTable } from '../history-lines';
import { print } from '../output';

export function registerHistory(program: Command, kit: CommandKit): void {
  const { io } = kit;

  example(
    program
      .command('history')
      .description("a flag's recorded changes, newest first: version, time, who, operation, reason, what changed")
      .argument('<name>')
      .option('--limit <n>', 'at most this many changes (default 50)')
      .option('--before <version>', 'only changes older than this version (the next page)')
      .option('--json', 'print a JSON list: each change with its diff and the flag before and after as stored'),
    'flipper history checkout --limit 10',
    'flipper history checkout --before 120',
  ).action((name: string, ...args: unknown[]) =>
    kit.withSession(commandOf(args), async (session, options) => {
      const limit = options.limit === undefined ? undefined : wholeNumber(options.limit as string, '--limit', 1);
      const beforeVersion =
        options.before === undefined ? undefined : wholeNumber(options.before as string, '--before', 0);
      const entries = await session.client.history(name, { limit, beforeVersion });
      // Never recorded and not there: a name mistyped, not a flag without changes.
      if (entries.length === 0 && beforeVersion === undefined && (await session.store.get(name)) === undefined) {
        throw new FlagDoesNotExistError(name);
      }
      if (options.json) return print(io, historyJson(entries));
      if (entries.length === 0) {
        return print(
          io,
          `no recorded changes of ${name}${beforeVersion === undefined ? '' : ` before version ${beforeVersion}`}`,
        );
      }
      print(io, historyTable(entries));
    }),
  );

  example(
    writeOptions(
      program
        .command('rollback')
        .description('put a flag back as it was after the change recorded at VERSION (asks first unless --yes)')
        .argument('<name>')
        .argument('<version>', 'a version from flipper history NAME')
        .option('-y, --yes', 'do not ask'),
    ),
    'flipper rollback checkout 12 --reason "incident 4521: back to before the launch"',
  ).action((name: string, versionText: string, ...args: unknown[]) =>
    kit.withSession(commandOf(args), async (session, options) => {
      const version = wholeNumber(versionText, 'VERSION', 0);
      const context = contextOf(io, options);
      const [target] = await session.client.history(name, { limit: 1, beforeVersion: version + 1 });
      if (target === undefined || target.version !== version) {
        throw new NotFoundError(
          `${name} has no recorded change at version ${version} (flipper history ${name} lists them)`,
        );
      }
      const current = await session.store.get(name);
      const changes = describeChange({
        before: current === undefined ? undefined : serializeItem(current),
        after: target.afterJson,
      }).map((line) => line.text);
      const alreadyThere = current === undefined ? target.afterJson === undefined : changes.length === 0;
      if (alreadyThere) {
        return print(io, `${name} is already as it was at version ${version}: nothing to do`);
      }
      print(io, [`rollback of ${name} to version ${version}:`, ...changes.map((line) => `  ${line}`)].join('\n'));
      if (
        options.yes !== true &&
        !(await confirm(io, 'rollback', `Roll back ${JSON.stringify(name)} to version ${version}?`))
      ) {
        return print(io, 'not rolled back');
      }
      // Conditional on the flag as shown: a change made meanwhile is a conflict, not overwritten.
      const expectedRevision = current === undefined ? undefined : revisionOf(current);
      const entry = await session.client.rollback(name, version, { ...context, expectedRevision });
      const done = entryChanges(entry).length === 0 ? ' (nothing changed)' : '';
      print(io, `rolled back ${name} to version ${version}, recorded as version ${entry.version}${done}`);
    }),
  );
}

/** A whole number of at least `min`, for `--limit`, `--before` and VERSION. */
function wholeNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${what} must be a whole number${min > 0 ? ` from ${min}` : ''}, got ${JSON.stringify(text)}`);
  }
  return n;
}
