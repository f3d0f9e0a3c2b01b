import type { Command } from 'commander';
import { example } from '../command-kit';

/**
 * Commands that need what this flag server does not have yet: flag history (`history`,
 * `rollback`). They exist so that `--help` lists them and a script
 * gets a clear answer (exit 1) instead of "unknown command".
 */
export function registerNewerServer(program: Command): void {
  const needs = (what: string) => () => {
    throw new Error(`${what}; this flipper-server has none yet (it needs a newer flag server)`);
  };
  example(
    program.command('history').description("a flag's changes with diffs (needs a newer server)").argument('<name>'),
    'flipper history checkout',
  ).action(needs('history reads the flag history of the server'));
  example(
    program
      .command('rollback')
      .description('put a flag back as it was at a version (needs a newer server)')
      .argument('<name>')
      .argument('<version>'),
    'flipper rollback checkout 12',
  ).action(needs('rollback reads the flag history of the server'));
}
