import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../shared';
import { namesOf, type PeerIdentity } from './peer-identity';

/** What one caller may do: read, and write every flag (`'all'`) or those whose name starts with a prefix. */
export interface Access {
  readonly read: boolean;
  /** `'all'`, or the flag-name prefixes it may write (none: read-only). */
  readonly write: 'all' | readonly string[];
}

export const FULL_ACCESS: Access = { read: true, write: 'all' };
export const READ_ONLY: Access = { read: true, write: [] };
const NO_ACCESS: Access = { read: false, write: [] };

/** True when `access` lets its caller write `flag`. */
export function mayWrite(access: Access, flag: string): boolean {
  return access.write === 'all' || access.write.some((prefix) => flag.startsWith(prefix));
}

/** True when `access` lets its caller write some flag. */
export function writesAnything(access: Access): boolean {
  return access.write === 'all' || access.write.length > 0;
}

/**
 * The `--authz` file (JSON): who may write, who may only read, and what everyone else gets.
 *
 *     { "writers": [ { "identity": "ops" }, { "identity": "deployer", "prefixes": ["checkout."] } ],
 *       "readers": ["replica", "*"],
 *       "others": "none" }
 *
 * An identity is a client certificate's subject CN or one of its subjectAltName values (a DNS name,
 * URI, email or IP); `"*"` is any client with a certificate the server verified. `others` is for
 * callers named nowhere, including every caller without a certificate: `"none"` (the default: even
 * reads are refused) or `"read"`. A writer without `prefixes` writes every flag. Several entries for
 * one caller add up.
 */
export class AccessPolicy {
  private constructor(
    private readonly writers: ReadonlyArray<{ identity: string; write: 'all' | readonly string[] }>,
    private readonly readers: ReadonlySet<string>,
    private readonly others: Access,
  ) {}

  /** Reads and checks a policy file; the error names the file and what is wrong. */
  static fromFile(path: string): AccessPolicy {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new InvalidArgumentError(`--authz ${path}: cannot read it: ${(error as Error).message}`);
    }
    return AccessPolicy.parse(text, `--authz ${path}`);
  }

  /** Checks a policy given as JSON text; `source` starts every error message. */
  static parse(text: string, source = 'authz policy'): AccessPolicy {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new InvalidArgumentError(`${source}: not JSON (YAML is not read): ${(error as Error).message}`);
    }
    const fail = (what: string): never => {
      throw new InvalidArgumentError(`${source}: ${what}`);
    };
    if (!isRecord(raw)) return fail('must be a JSON object with "writers", "readers" and "others"');
    for (const key of Object.keys(raw)) {
      if (!['writers', 'readers', 'others'].includes(key)) fail(`unknown key ${JSON.stringify(key)}`);
    }
    const writers: Array<{ identity: string; write: 'all' | readonly string[] }> = [];
    const rawWriters = raw.writers ?? [];
    if (!Array.isArray(rawWriters)) fail('"writers" must be a list of { "identity": ..., "prefixes"?: [...] }');
    (rawWriters as unknown[]).forEach((entry, i) => {
      const at = `"writers"[${i}]`;
      if (!isRecord(entry)) return fail(`${at} must be an object with "identity" and, optionally, "prefixes"`);
      for (const key of Object.keys(entry)) {
        if (key !== 'identity' && key !== 'prefixes') fail(`${at}: unknown key ${JSON.stringify(key)}`);
      }
      const identity = nonEmptyString(entry.identity) ?? fail(`${at}.identity must be a non-empty string`);
      if (entry.prefixes === undefined) return writers.push({ identity, write: 'all' });
      const prefixes = entry.prefixes;
      if (!Array.isArray(prefixes) || prefixes.length === 0 || !prefixes.every((p) => nonEmptyString(p))) {
        return fail(`${at}.prefixes must be a non-empty list of non-empty strings (leave it out to allow every flag)`);
      }
      writers.push({ identity, write: [...(prefixes as string[])] });
    });
    const rawReaders = raw.readers ?? [];
    if (!Array.isArray(rawReaders) || !rawReaders.every((r) => nonEmptyString(r))) {
      fail('"readers" must be a list of identities (non-empty strings)');
    }
    const others = raw.others ?? 'none';
    if (others !== 'none' && others !== 'read')
      fail(`"others" must be "none" or "read", got ${JSON.stringify(others)}`);
    return new AccessPolicy(writers, new Set(rawReaders as string[]), others === 'read' ? READ_ONLY : NO_ACCESS);
  }

  /** What a caller may do: `identity` is its verified certificate's, undefined without one. */
  accessFor(identity: PeerIdentity | undefined): Access {
    if (identity === undefined) return this.others;
    const names = new Set(namesOf(identity));
    const named = (entry: string) => entry === '*' || names.has(entry);
    let write: 'all' | string[] = [];
    for (const writer of this.writers) {
      if (!named(writer.identity)) continue;
      if (writer.write === 'all') write = 'all';
      else if (write !== 'all') write.push(...writer.write);
    }
    if (write === 'all' || write.length > 0) return { read: true, write };
    for (const reader of this.readers) if (named(reader)) return READ_ONLY;
    return this.others;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
