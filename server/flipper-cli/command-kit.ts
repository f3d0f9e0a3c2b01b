import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { stringifyJson } from '../../shared/stringify-json';
import { serializeItem } from '../../shared/model/codec';
import type { FeatureFlagStoreItem } from '../../shared';
import type { CliIo } from './output';
import { explainReach, openSession, type GlobalOptions, type Session } from './session';
import { writeContext, type CliWriteContext } from './write-context';
import { UsageError } from './errors';

/** What every command gets: the streams and a way to reach the server. */
export interface CommandKit {
  io: CliIo;
  /** Opens a session with the command's options, runs `f`, closes it; unreachable servers said plainly. */
  withSession<T>(cmd: Command, f: (session: Session, options: CommandOptions) => Promise<T>): Promise<T>;
}

/** The command's own options merged with the global ones. */
export type CommandOptions = GlobalOptions & Record<string, unknown>;

export function commandKit(io: CliIo): CommandKit {
  return {
    io,
    async withSession(cmd, f) {
      const options = cmd.optsWithGlobals<CommandOptions>();
      const session = openSession(options, io.env);
      try {
        return await f(session, options);
      } catch (error) {
        throw explainReach(error, session.target);
      } finally {
        await session.close();
      }
    },
  };
}

/** The last argument commander passes to an action is the command itself. */
export function commandOf(args: unknown[]): Command {
  return args[args.length - 1] as Command;
}

/** Adds `--actor` and `--reason` to a write command. */
export function writeOptions(cmd: Command): Command {
  return cmd
    .option('--actor <name>', 'who makes the change (default $FLIPPER_ACTOR or your user name)')
    .option('--reason <text>', 'why (recorded with the change in the flag history)');
}

/** The write's context from its options (see write-context.ts). */
export function contextOf(io: CliIo, options: CommandOptions): CliWriteContext {
  return writeContext(
    { actor: options.actor as string | undefined, reason: options.reason as string | undefined },
    io.env,
  );
}

/** `--help` text with an example. */
export function example(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExample:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

/** A flag as JSON for scripts: the stored form, lossless. */
export function itemJson(item: FeatureFlagStoreItem): string {
  return serializeItem(item);
}

export function json(value: unknown): string {
  return stringifyJson(value);
}

/**
 * Asks `question [y/N]` on stderr and reads the answer at a terminal. Not at a terminal (a script)
 * it refuses, a usage error: the script must say `--yes`.
 */
export async function confirm(io: CliIo, command: string, question: string): Promise<boolean> {
  if (!io.interactive) throw new UsageError(`${command} asks before writing: pass --yes when not at a terminal`);
  const prompt = createInterface({ input: io.stdin, output: io.stderr });
  const answer = await prompt.question(`${question} [y/N] `);
  prompt.close();
  return /^y(es)?$/i.test(answer.trim());
}
