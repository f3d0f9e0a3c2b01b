import { readFileSync } from 'node:fs';
import type { SecureContextOptions, SecureVersion } from 'node:tls';
import { InvalidArgumentError } from '../../shared';

/** How the server treats client certificates. */
export type ClientAuth = 'none' | 'optional' | 'require';

export const CLIENT_AUTH_MODES: readonly ClientAuth[] = ['none', 'optional', 'require'];
export const TLS_VERSIONS: readonly SecureVersion[] = ['TLSv1.2', 'TLSv1.3'];

/**
 * TLS on the server's listeners, as files (PEM) so that `FlagServer.reload()` (SIGHUP) can read
 * renewed ones without a restart.
 */
export interface FlagServerTlsOptions {
  /** The server's certificate (chain), PEM. */
  certFile: string;
  /** Its private key, PEM. */
  keyFile: string;
  /** The CA certificate(s) client certificates must chain to, PEM. Needed when `clientAuth` is not `'none'`. */
  caFile?: string;
  /** Oldest protocol version accepted. Default `'TLSv1.2'`. */
  minVersion?: SecureVersion;
  /**
   * `'none'` (default): no client certificate asked. `'require'`: a client without a valid one is
   * refused. `'optional'`: asked; a client without one is anonymous, one with an invalid one refused.
   */
  clientAuth?: ClientAuth;
  /** A client that has not finished the handshake after this long is disconnected. Default 10000 ms. */
  handshakeTimeoutMs?: number;
}

export const TLS_DEFAULTS = {
  minVersion: 'TLSv1.2' as SecureVersion,
  clientAuth: 'none' as ClientAuth,
  handshakeTimeoutMs: 10_000,
};

/** Checks the options; the error names what is wrong. */
export function validateTlsOptions(tls: FlagServerTlsOptions): Required<Omit<FlagServerTlsOptions, 'caFile'>> & {
  caFile?: string;
} {
  const clientAuth = tls.clientAuth ?? TLS_DEFAULTS.clientAuth;
  const minVersion = tls.minVersion ?? TLS_DEFAULTS.minVersion;
  if (!CLIENT_AUTH_MODES.includes(clientAuth)) {
    throw new InvalidArgumentError(
      `tls clientAuth must be one of ${CLIENT_AUTH_MODES.join(', ')}, got ${JSON.stringify(clientAuth)}`,
    );
  }
  if (!TLS_VERSIONS.includes(minVersion)) {
    throw new InvalidArgumentError(
      `tls minVersion must be one of ${TLS_VERSIONS.join(', ')}, got ${JSON.stringify(minVersion)}`,
    );
  }
  if (clientAuth !== 'none' && !tls.caFile) {
    throw new InvalidArgumentError(
      `client certificates (clientAuth ${clientAuth}) need the CA that issues them: give caFile (--tls-ca)`,
    );
  }
  const handshakeTimeoutMs = tls.handshakeTimeoutMs ?? TLS_DEFAULTS.handshakeTimeoutMs;
  if (!Number.isFinite(handshakeTimeoutMs) || handshakeTimeoutMs <= 0) {
    throw new InvalidArgumentError(
      `tls handshakeTimeoutMs must be a positive number, got ${String(handshakeTimeoutMs)}`,
    );
  }
  return { ...tls, clientAuth, minVersion, handshakeTimeoutMs };
}

/** Reads the files into the options of a secure context; the error names the file that failed. */
export function readTlsFiles(tls: FlagServerTlsOptions): SecureContextOptions {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new InvalidArgumentError(`cannot read the TLS ${what} ${path}: ${(error as Error).message}`);
    }
  };
  return {
    cert: read(tls.certFile, 'certificate'),
    key: read(tls.keyFile, 'key'),
    ca: tls.caFile ? read(tls.caFile, 'CA certificate') : undefined,
    minVersion: tls.minVersion ?? TLS_DEFAULTS.minVersion,
  };
}
