#!/usr/bin/env node
// `flipper-server`: the flag server as a command. Options: `flipper-server --help`.
import pino from 'pino';
import { errorSerializers } from '../client/log-serializers';
import { parseCli, helpText, type CliOptions } from './cli-options';
import { FlagServer } from './flag-server';
import { openStore, type OpenedStore } from './store-url';
import { openChangeLog } from './feed/open-change-log';

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`flipper-server: ${(error as Error).message}\nRun flipper-server --help for the options.\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(helpText());
    process.exit(0);
  }
  // Synchronous writes: lines stay in order and none is lost when the process exits.
  const logger = pino(
    { name: 'flipper-server', level: options.logLevel, serializers: errorSerializers },
    pino.destination({ dest: 1, sync: true }),
  );
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  let opened: OpenedStore;
  try {
    opened = await openStore(options.store, {
      baseKey: options.baseKey,
      storeTimeoutMs: options.storeTimeoutMs,
      logger,
      maxFlagBytes: options.maxFlagBytes,
    });
  } catch (error) {
    logger.fatal({ err: error }, 'cannot open the store');
    process.exit(1);
  }
  const changeLog = openChangeLog(options.store, opened.store, {
    baseKey: options.baseKey,
    logger,
    resyncIntervalMs: options.resyncIntervalMs,
  });
  let server: FlagServer;
  try {
    server = new FlagServer({
      store: opened.store,
      changeLog,
      host: options.host,
      port: options.port,
      transport: options.transport,
      protocol: options.protocol,
      maxMessageBytes: options.maxMessageBytes,
      idleTimeoutMs: options.idleTimeoutMs,
      maxConnections: options.maxConnections,
      maxConnectionsPerIp: options.maxConnectionsPerIp,
      maxPendingBytes: options.maxPendingBytes,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      maxFlagBytes: options.maxFlagBytes,
      listPageSize: options.listPageSize,
      tls: options.tls,
      authzFile: options.authzFile,
      readOnly: options.readOnly,
      admin: options.admin,
      logger,
    });
  } catch (error) {
    // A TLS file or policy that cannot be used: one line saying which, no stack.
    logger.fatal({ error: (error as Error).message }, 'cannot start the server');
    await opened.close();
    process.exit(2);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing calls in flight');
    server
      .close()
      .then(() => changeLog.close())
      .then(() => opened.close())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
  };
  // Installed before listening: a signal sent as soon as the listening line appears is handled.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Renewed certificates and an edited policy, without dropping a connection.
  process.on('SIGHUP', () => {
    server.reload().then(
      () =>
        logger.info({ tls: options.tls !== undefined, authz: options.authzFile }, 'reloaded the TLS and policy files'),
      (error: unknown) =>
        logger.error(
          { error: (error as Error).message },
          'could not reload: keeping the certificates and policy in use',
        ),
    );
  });

  try {
    const address = await server.listen();
    logger.info(
      {
        address: address.address,
        port: address.port,
        store: opened.description,
        transport: options.transport,
        protocol: options.protocol,
        maxMessageBytes: options.maxMessageBytes,
        idleTimeoutMs: options.idleTimeoutMs,
        maxConnections: options.maxConnections,
        maxConnectionsPerIp: options.maxConnectionsPerIp,
        maxPendingBytes: options.maxPendingBytes,
        tls: options.tls ? { clientAuth: options.tls.clientAuth, minVersion: options.tls.minVersion } : false,
        authz: options.authzFile,
        readOnly: options.readOnly,
        adminPort: server.adminAddress?.port,
        adminAddress: server.adminAddress?.address,
        storeTimeoutMs: options.storeTimeoutMs,
        maxFlagBytes: options.maxFlagBytes,
        listPageSize: options.listPageSize,
      },
      'listening',
    );
  } catch (error) {
    logger.fatal({ err: error }, 'cannot listen');
    await changeLog.close();
    await opened.close();
    process.exit(1);
  }
}

void main();
