import { Command, CommanderError } from 'commander';
import { commandKit } from './command-kit';
import { registerImport } from './commands/import';
import { registerHistory } from './commands/history';
import { registerReads } from './commands/read';
import { registerWatch } from './commands/watch';
import { registerWrites } from './commands/write';
import { EXIT, errorLine, exitCodeOf, type ExitCode } from './errors';
import type { CliIo } from './output';

/** The `flipper` program: global options and every command. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('flipper')
    .description('Read and change feature flags on a flipper-server.')
    .option('--server <host:port>', 'the flag server (default $FLIPPER_SERVER, then 127.0.0.1:9090)')
    .option('--transport <buffered|framed>', 'Thrift transport, as the server (default buffered)')
    .option('--protocol <binary|compact>', 'Thrift protocol, as the server (default binary)')
    .option('--timeout <seconds>', 'deadline of each call to the server (default 5)')
    .option('--tls-ca <file>', 'TLS: the CA the server certificate must chain to (PEM; $FLIPPER_CLIENT_TLS_CA)')
    .option(
      '--tls-cert <file>',
      "TLS: this client's certificate, for --tls-client-auth servers ($FLIPPER_CLIENT_TLS_CERT)",
    )
    .option('--tls-key <file>', 'TLS: the private key of --tls-cert ($FLIPPER_CLIENT_TLS_KEY)')
    .option(
      '--tls-servername <name>',
      'TLS: the name the server certificate carries, when not the host ($FLIPPER_CLIENT_TLS_SERVERNAME)',
    )
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 ok, 1 failure, 2 usage, 3 flag not found. Errors are one line on stderr.',
        '',
        'Example:',
        '  $ flipper --server flags.internal:9090 list',
        '  $ flipper disable checkout --reason "incident 4521"',
        '  $ flipper --server flags.internal:9090 --tls-ca ca.crt --tls-cert me.crt --tls-key me.key list',
        '',
      ].join('\n'),
    );
  const kit = commandKit(io);
  registerReads(program, kit);
  registerWrites(program, kit);
  registerImport(program, kit);
  registerWatch(program, kit);
  registerHistory(program, kit);
  // Every command: usage errors throw (exit 2 below) instead of exiting inside commander.
  const configure = (cmd: Command) => {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** Runs `flipper` with `argv` (without node and the script) and gives the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const program = buildProgram(io);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander printed the message (and help) itself.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.stderr.write(errorLine(error) + '\n');
    return exitCodeOf(error);
  }
}
