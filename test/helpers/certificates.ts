import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as files. */
export interface CertFiles {
  cert: string;
  key: string;
}

/** Everything the TLS tests need, made with the `openssl` command in a temp folder. */
export interface TestCertificates {
  dir: string;
  /** The CA the server trusts for clients and clients trust for the server. */
  ca: string;
  /** Another CA, trusted by nobody. */
  otherCa: string;
  /** The server: CN localhost, SAN DNS:localhost and IP:127.0.0.1. */
  server: CertFiles;
  /** A second server certificate from the same CA (CN localhost, serial differs), for reload tests. */
  renewedServer: CertFiles;
  /** Clients of the CA: `writer` (SAN URI spiffe://flags/writer), `reader`, `deployer`. */
  writer: CertFiles;
  reader: CertFiles;
  deployer: CertFiles;
  /** CN writer, signed by the other CA. */
  foreign: CertFiles;
  /** CN writer, from the CA, valid January 2020 only. */
  expired: CertFiles;
  /** Removes the folder. */
  remove(): void;
}

const CA_CONFIG = `[ ca ]
default_ca = testca
[ testca ]
dir = .
database = db/index.txt
serial = db/serial
new_certs_dir = db
certificate = ca.crt
private_key = ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[ any ]
commonName = supplied
`;

/** Makes a CA, another CA, a server certificate and client certificates (one expired). Takes about a second. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'flipper-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) =>
    openssl(
      'req',
      '-x509',
      ...newKey,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '3650',
      '-subj',
      `/CN=${name}`,
    );
  ca('ca');
  ca('other-ca');
  const issue = (name: string, cn: string, issuer: string, san?: string): CertFiles => {
    openssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.crt`, '-CAkey', `${issuer}.key`];
    args.push('-CAcreateserial', '-out', `${name}.crt`, '-days', '30');
    if (san !== undefined) {
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
      args.push('-extfile', `${name}.ext`);
    }
    openssl(...args);
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  const server = issue('server', 'localhost', 'ca', 'DNS:localhost,IP:127.0.0.1');
  const renewedServer = issue('server-renewed', 'localhost', 'ca', 'DNS:localhost,IP:127.0.0.1');
  const writer = issue('writer', 'writer', 'ca', 'URI:spiffe://flags/writer');
  const reader = issue('reader', 'reader', 'ca');
  const deployer = issue('deployer', 'deployer', 'ca');
  const foreign = issue('foreign', 'writer', 'other-ca');
  // `openssl x509` here (3.0) cannot date a certificate in the past; `openssl ca` can.
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db', 'index.txt'), '');
  writeFileSync(join(dir, 'db', 'serial'), '1000\n');
  writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG);
  openssl('req', ...newKey, '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=writer');
  openssl(
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-in',
    'expired.csr',
    '-out',
    'expired.crt',
    '-notext',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200201000000Z',
  );
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    otherCa: join(dir, 'other-ca.crt'),
    server,
    renewedServer,
    writer,
    reader,
    deployer,
    foreign,
    expired: { cert: join(dir, 'expired.crt'), key: join(dir, 'expired.key') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
