#!/usr/bin/env node
// `flipper`: read and change flags on a flag server. `flipper --help` lists the commands.
import { runCli } from './program';

const tty = (stream: NodeJS.WriteStream | NodeJS.ReadStream) => stream.isTTY === true;

void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  colour: tty(process.stdout) && process.env.NO_COLOR === undefined,
  interactive: tty(process.stdin) && tty(process.stderr),
  env: process.env,
  now: () => Date.now() / 1000,
  onStop: (stop) => {
    const signals = ['SIGINT', 'SIGTERM'] as const;
    for (const signal of signals) process.once(signal, stop);
    return () => signals.forEach((signal) => process.off(signal, stop));
  },
}).then((code) => {
  // Let stdout drain before exiting (a pipe to `jq` or a file gets every byte).
  process.exitCode = code;
});
