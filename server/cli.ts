#!/usr/bin/env node
// `flipper-server`: the flag server as a command. Options: `flipper-server --help`.
import pino from 'pino';
import { errorSerializers } from '../client/log-serializers';
import { parseCli, helpText, packageVersion, type CliOptions } from './cli-options';
import { FlagServer } from './flag-server';
import { checkPort, checkStoreReachable, listenFailure } from './startup-checks';
import { checkStoreSpec, describeStore, openStore, type OpenedStore } from './store-url';
import { openChangeLog } from './feed/open-change-log';
import { openHistoryLog } from './history/open-history-log';
import { HttpEndpoints } from './http/endpoints';
import { BearerToken } from './http/auth/bearer-token';

/**
 * Ends the process before it serves: one line on stderr, no JSON and no stack. Exit 2 for a
 * usage error (a bad option), 1 for a failure of the machine (port in use, unwritable folder).
 */
function exitWith(code: 1 | 2, message: string): never {
  const hint = code === 2 ? ' (flipper-server --help lists the options)' : '';
  process.stderr.write(`flipper-server: ${message}${hint}\n`);
  process.exit(code);
}

/**
 * SIGHUP's part for the console token: read the file again; a bad file keeps the token in use
 * (the line says why, never the token); a new token ends the console's sessions.
 */
function reloadHttpToken(http: HttpEndpoints, file: string, logger: pino.Logger): void {
  try {
    const changed = http.replaceToken(BearerToken.fromFile(file));
    logger.info({ file, changed }, changed ? 'new HTTP token: console sessions ended' : 'HTTP token unchanged');
  } catch (error) {
    logger.error({ file, error: (error as Error).message }, 'could not reload the HTTP token: keeping the one in use');
  }
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCli(process.argv.slice(2), process.env);
    checkStoreSpec(options.store);
  } catch (error) {
    exitWith(2, (error as Error).message);
  }
  if (options.help) {
    process.stdout.write(helpText());
    process.exit(0);
  }
  if (options.version) {
    process.stdout.write(`${packageVersion()}\n`);
    process.exit(0);
  }
  // Before the store is opened: a port in use must not leave a new ./data/flags.db behind.
  try {
    await checkPort(options.host, options.port);
  } catch (error) {
    exitWith(1, (error as Error).message);
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
    exitWith(1, `cannot open the store ${describeStore(options.store)}: ${(error as Error).message}`);
  }
  // A network store that does not answer yet is no reason to stay down: it is said once here (the
  // store's own log then says when it answers again, with the count of calls that failed).
  const storeReachable = await checkStoreReachable(opened.store);
  if (storeReachable !== true) {
    logger.warn(
      { store: opened.description, error: storeReachable },
      'the store does not answer at start: serving anyway, and calls fail until it does',
    );
  }
  const changeLog = openChangeLog(options.store, opened.store, {
    baseKey: options.baseKey,
    logger,
    resyncIntervalMs: options.resyncIntervalMs,
    historyRetention: options.historyRetention,
  });
  const history = openHistoryLog(options.store, opened.store, {
    baseKey: options.baseKey,
    logger,
    retention: options.historyRetention,
  });
  try {
    await history?.open();
  } catch (error) {
    // Its tables, trigger or script are made once the backend answers (the log tries again before
    // a call); a backend already said to be down is not said again.
    logger[storeReachable === true ? 'warn' : 'debug'](
      { err: error },
      'history: could not prepare the backend; tried again when it answers',
    );
  }
  let stopping = false;
  // HTTP only when a port is asked for: without it, no metrics wrappers on the call path.
  const http: HttpEndpoints | undefined =
    options.httpPort === undefined && options.metricsPort === undefined
      ? undefined
      : new HttpEndpoints({
          store: opened.store,
          logger,
          host: options.httpHost,
          httpPort: options.httpPort,
          metricsPort: options.metricsPort,
          readyTimeoutMs: options.readyTimeoutMs,
          httpWrites: options.httpWrites,
          token: options.httpToken,
          metricsAuth: options.metricsAuth,
          // The Thrift server is made after this (it takes the metrics): its feed is looked up when used.
          feed: () => server.feed,
          writer: () => server.writer,
          openConnections: (): number => server.connectionCount,
          closing: () => stopping,
        });
  let server: FlagServer;
  try {
    server = new FlagServer({
      store: opened.store,
      changeLog,
      history,
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
      instrumentation: http?.metrics,
    });
  } catch (error) {
    // A TLS file or policy that cannot be used: one line saying which, no stack.
    await changeLog.close();
    await history?.close();
    await opened.close();
    exitWith(2, `cannot start the server: ${(error as Error).message}`);
  }
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing calls in flight');
    server
      .close()
      .then(() => http?.close())
      .then(() => changeLog.close())
      .then(() => history?.close())
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
  // Renewed certificates, an edited policy and a new console token, without dropping a connection.
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
    if (options.httpTokenFile !== undefined && http !== undefined) reloadHttpToken(http, options.httpTokenFile, logger);
  });

  try {
    // Before the Thrift port: once "listening" is logged, the probes answer too.
    if (http) logger.info({ host: options.httpHost, ...(await http.listen()) }, 'http listening');
    const address = await server.listen();
    logger.info(
      {
        address: address.address,
        port: address.port,
        store: opened.description,
        storeReachable: storeReachable === true,
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
    await http?.close();
    await changeLog.close();
    await history?.close();
    await opened.close();
    exitWith(1, listenFailure(options.host, options.port, error));
  }
}

void main();
