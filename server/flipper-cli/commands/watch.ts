import type { Command } from 'commander';
import { ThriftReplicaFeatureFlagStore } from '../../../client/replica/replica-store';
import type { FeatureFlagStoreItem } from '../../../shared';
import { changeJson, changeText } from '../change-lines';
import { commandOf, example, type CommandKit, type CommandOptions } from '../command-kit';
import { print, type CliIo } from '../output';
import { explainReach, QUIET, serverTarget, type ServerTarget } from '../session';

export function registerWatch(program: Command, kit: CommandKit): void {
  example(
    program
      .command('watch')
      .description('print each change to a flag as the server sends it (any writer), until Ctrl-C')
      .option('--prefix <text>', 'only flags whose name starts with this')
      .option('--json', 'one JSON object per line: time, name, change, enabled, diff, flag as stored'),
    'flipper watch --prefix checkout.',
    `flipper watch --json | jq -c 'select(.change == "deleted")'`,
  ).action((...args: unknown[]) => watch(kit.io, commandOf(args).optsWithGlobals<CommandOptions>()));
}

/**
 * Follows the server's change feed through a replica (a snapshot, then long polls; reconnecting
 * with backoff, and taking a new snapshot from a restarted server, whose differences are printed
 * as changes). Returns once stopped; rejects only when the server cannot be reached at the start.
 */
async function watch(io: CliIo, options: CommandOptions): Promise<void> {
  const target = serverTarget(options, io.env);
  const prefix = (options.prefix as string | undefined) ?? '';
  const stop = stopSignal(io);
  // The replica's connection and timers never keep a process alive (it is built to sit inside
  // an app); this command is nothing but that wait, so it holds the process open itself.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const replica = new ThriftReplicaFeatureFlagStore(target.connection, { timeout: target.timeout, logger: QUIET });
  try {
    const held = await firstSnapshot(replica, target, prefix, stop.stopped);
    if (held === undefined) return;
    const flags = `${held.size} flag${held.size === 1 ? '' : 's'}`;
    const which = prefix === '' ? flags : `${flags} starting with ${JSON.stringify(prefix)}`;
    io.stderr.write(`watching ${target.address}: ${which}; Ctrl-C stops\n`);
    let lost = false;
    replica.events.on('error', (error) => {
      if (lost) return;
      lost = true;
      io.stderr.write(`lost ${target.address} (${error.message.replace(/\s*\n\s*/g, ' ')}); reconnecting\n`);
    });
    replica.events.on('reconnected', () => {
      lost = false;
      io.stderr.write(`reconnected to ${target.address}\n`);
    });
    replica.events.on('changed', (names) => {
      const time = io.now();
      for (const name of names) {
        if (!name.startsWith(prefix)) continue;
        const before = held.get(name);
        const after = replica.peek(name) ?? undefined;
        if (after === undefined) held.delete(name);
        else held.set(name, after);
        const change = { time, name, before, after };
        print(io, options.json ? changeJson(change) : changeText(io, change));
      }
    });
    await stop.stopped;
  } finally {
    clearInterval(keepAlive);
    stop.dispose();
    replica.events.removeAllListeners();
    await replica.close();
  }
}

/**
 * The flags under `prefix` once the server's snapshot is in; undefined when stopped first. The
 * first failed call rejects (the server cannot be reached at the start: exit 1), instead of the
 * replica's patient retrying.
 */
async function firstSnapshot(
  replica: ThriftReplicaFeatureFlagStore,
  target: ServerTarget,
  prefix: string,
  stopped: Promise<'stopped'>,
): Promise<Map<string, FeatureFlagStoreItem> | undefined> {
  let failed: (error: Error) => void = () => {};
  const ready = new Promise<'ready'>((resolve, reject) => {
    failed = reject;
    replica.events.once('ready', () => resolve('ready'));
    replica.events.once('error', failed);
  });
  try {
    if ((await Promise.race([ready, stopped])) === 'stopped') return undefined;
  } catch (error) {
    throw explainReach(error, target);
  } finally {
    replica.events.off('error', failed);
  }
  // What is held now: a later batch arrives over the network, after these promise steps.
  const held = new Map<string, FeatureFlagStoreItem>();
  for (const item of await replica.list()) if (item.featureName.startsWith(prefix)) held.set(item.featureName, item);
  return held;
}

interface StopSignal {
  stopped: Promise<'stopped'>;
  dispose(): void;
}

/** SIGINT, SIGTERM, or stdout gone (`flipper watch | head -3`): each is a normal end, exit 0. */
function stopSignal(io: CliIo): StopSignal {
  let unsubscribe = () => {};
  let onClosed = () => {};
  const stopped = new Promise<'stopped'>((resolve) => {
    onClosed = () => resolve('stopped');
    unsubscribe = io.onStop(onClosed);
    io.stdout.on('error', onClosed);
  });
  return {
    stopped,
    dispose: () => {
      unsubscribe();
      io.stdout.off('error', onClosed);
    },
  };
}
