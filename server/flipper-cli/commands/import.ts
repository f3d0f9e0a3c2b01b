import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { commandOf, contextOf, example, json, writeOptions, type CommandKit } from '../command-kit';
import { UsageError } from '../errors';
import { flagChanges, readFlagFile } from '../flag-file';
import { print, type CliIo } from '../output';
import { allFlags } from '../session';
import { writingAs } from '../write-context';
import { updateFlag } from '../../../client/stores/update-flag';

/** Writes at least this many flags before a progress bar is worth drawing. */
const PROGRESS_FROM = 20;

export function registerImport(program: Command, kit: CommandKit): void {
  const { io } = kit;
  example(
    writeOptions(
      program
        .command('import')
        .description('create or update flags from a file flipper export wrote; flags not in it are left alone')
        .argument('<file>')
        .option('--dry-run', 'print what would change and write nothing')
        .option('--json', 'print what changes as JSON'),
    ),
    'flipper import flags.json --dry-run',
  ).action((file: string, ...args: unknown[]) =>
    kit.withSession(commandOf(args), async (session, options) => {
      const context = contextOf(io, options);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
      }
      const wanted = readFlagFile(text, file);
      const current = new Map((await allFlags(session)).map((item) => [item.featureName, item]));
      const plan = wanted.map((item) => ({ item, changes: flagChanges(current.get(item.featureName), item) }));
      const creates = plan.filter((p) => !current.has(p.item.featureName));
      const updates = plan.filter((p) => current.has(p.item.featureName) && p.changes.length > 0);
      const unchanged = plan.length - creates.length - updates.length;
      const dryRun = options.dryRun === true;

      if (!dryRun) {
        const store = session.client.store;
        const writes = [...creates, ...updates];
        const bar = io.interactive && writes.length >= PROGRESS_FROM ? progressBar(io, writes.length) : undefined;
        await writingAs(context, async () => {
          for (const [i, { item }] of writes.entries()) {
            if (!current.has(item.featureName)) await store.create(item.featureName, { isEnabled: item.isEnabled });
            // Conditional (the server's revision): an edit made meanwhile is replaced, never half-merged.
            await updateFlag(store, item.featureName, () => item);
            bar?.(i + 1);
          }
        });
        if (bar) io.stderr.write('\n');
      }

      if (options.json) {
        const names = (list: typeof plan) => list.map((p) => p.item.featureName);
        return print(io, json({ dryRun, created: names(creates), updated: names(updates), unchanged }));
      }
      const verb = (done: string, would: string) => (dryRun ? would : done);
      for (const p of creates) print(io, `${verb('created', 'would create')} ${p.item.featureName}`);
      for (const p of updates)
        print(io, `${verb('updated', 'would update')} ${p.item.featureName}: ${p.changes.join('; ')}`);
      print(
        io,
        `${dryRun ? 'dry run: would create' : 'created'} ${creates.length}, ${dryRun ? 'update' : 'updated'} ${updates.length}, ${unchanged} unchanged`,
      );
    }),
  );
}

/** `[#####.....] 12/40` on stderr, redrawn in place. */
function progressBar(io: CliIo, total: number): (done: number) => void {
  return (done) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    io.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
  };
}
