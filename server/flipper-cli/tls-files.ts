import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { RpcTlsOptions } from '../../client/rpc/rpc-connection';
import { UsageError } from './errors';

/** `--tls-ca`, `--tls-cert`, `--tls-key` (files) and `--tls-servername`, as commander names them. */
export interface TlsArgs {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServername?: string;
}

/**
 * The RPC store's `tls` option from the command line (else `$FLIPPER_CLIENT_TLS_CA`, `$FLIPPER_CLIENT_TLS_CERT`,
 * `$FLIPPER_CLIENT_TLS_KEY`, `$FLIPPER_CLIENT_TLS_SERVERNAME`); undefined, plain text, when none is given.
 * Files are read and checked here, before any connection: a missing file, one that is not PEM,
 * or a key that does not match its certificate is a usage error naming the option, not a
 * connection failure later.
 */
export function tlsFromArgs(args: TlsArgs, env: NodeJS.ProcessEnv): RpcTlsOptions | undefined {
  // An empty variable is unset (as compose files and CI leave them).
  const fromEnv = (name: string) => (env[name] === '' ? undefined : env[name]);
  const caFile = args.tlsCa ?? fromEnv('FLIPPER_CLIENT_TLS_CA');
  const certFile = args.tlsCert ?? fromEnv('FLIPPER_CLIENT_TLS_CERT');
  const keyFile = args.tlsKey ?? fromEnv('FLIPPER_CLIENT_TLS_KEY');
  const servername = args.tlsServername ?? fromEnv('FLIPPER_CLIENT_TLS_SERVERNAME');
  if (caFile === undefined && certFile === undefined && keyFile === undefined && servername === undefined) {
    return undefined;
  }
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together: give both, or neither');
  }
  if (servername === '') throw new UsageError('--tls-servername must not be empty');
  const ca = caFile === undefined ? undefined : pem('--tls-ca', caFile);
  const cert = certFile === undefined ? undefined : pem('--tls-cert', certFile);
  const key = keyFile === undefined ? undefined : pem('--tls-key', keyFile);
  try {
    // A CA file that holds no certificate is ignored by a TLS context: parse it to refuse it.
    if (ca !== undefined) new X509Certificate(ca);
    createSecureContext({ ca, cert, key });
  } catch (error) {
    const files = [
      ['--tls-ca', caFile],
      ['--tls-cert', certFile],
      ['--tls-key', keyFile],
    ].filter(([, file]) => file !== undefined);
    const named = files.map(([option, file]) => `${option} ${file}`).join(', ');
    throw new UsageError(`the TLS files cannot be used (${(error as Error).message}): ${named}`);
  }
  return { ca, cert, key, servername };
}

function pem(option: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`${option}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
