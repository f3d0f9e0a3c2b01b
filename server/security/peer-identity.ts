import type { PeerCertificate } from 'node:tls';

/**
 * Who a TLS client is, from the certificate it presented and the server verified against its CA:
 * the subject's common name and the subject alternative names. `name` is the one to show and record
 * (the common name, else the first alternative name).
 */
export interface PeerIdentity {
  readonly name: string;
  readonly commonName: string | undefined;
  /** Values of the subjectAltName entries, without their `DNS:`/`URI:`/`email:`/`IP Address:` tags. */
  readonly altNames: readonly string[];
}

/** The identity of a verified certificate; undefined when it names nobody (no CN and no SAN). */
export function identityOf(cert: PeerCertificate): PeerIdentity | undefined {
  const cn = (cert.subject as Partial<Record<string, string | string[]>> | undefined)?.CN;
  // A subject may carry several CNs (Node gives an array): the last is the most specific.
  const commonName = Array.isArray(cn) ? cn[cn.length - 1] : cn;
  const altNames = parseAltNames(cert.subjectaltname ?? '');
  const name = commonName ?? altNames[0];
  if (name === undefined || name === '') return undefined;
  return { name, commonName, altNames };
}

/** Every name the identity answers to in a policy: its common name and alternative names. */
export function namesOf(identity: PeerIdentity): string[] {
  return identity.commonName === undefined ? [...identity.altNames] : [identity.commonName, ...identity.altNames];
}

/**
 * Node writes subjectaltname as `DNS:a, URI:b, IP Address:c`; a value holding a comma or quote is
 * written as a JSON string (`DNS:"a, b"`), so a crafted name cannot pass for two.
 */
function parseAltNames(text: string): string[] {
  const names: string[] = [];
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;
  let match: RegExpExecArray | null;
  while (entry.lastIndex < text.length && (match = entry.exec(text)) !== null) {
    const raw = match[2];
    try {
      names.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
    } catch {
      names.push(raw);
    }
    if (match[0].length === 0) break;
  }
  return names;
}
