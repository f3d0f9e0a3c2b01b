import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../../shared';

/** Shortest token accepted: a guessable one would make the login the weak point. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * The HTTP listener's secret (`--http-token-file` or `FLIPPER_HTTP_TOKEN`). Only its SHA-256 digest
 * is kept, and a candidate is compared digest to digest with `timingSafeEqual`: equal-length
 * inputs whatever the candidate's length, so the time taken says nothing about the token. The
 * token never appears in a log line or an error message.
 */
export class BearerToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new InvalidArgumentError(
        `the HTTP token must be at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`,
      );
    }
    this.digest = sha256(token);
  }

  /** The token in a file: its first line, without surrounding white space. */
  static fromFile(file: string): BearerToken {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new InvalidArgumentError(
        `cannot read the HTTP token file ${file}: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
    return new BearerToken(text.split('\n')[0].trim());
  }

  /** True when both are the same token. */
  sameAs(other: BearerToken): boolean {
    return timingSafeEqual(this.digest, other.digest);
  }

  matches(candidate: string): boolean {
    return timingSafeEqual(sha256(candidate), this.digest);
  }

  /** True when `Authorization: Bearer <token>` carries this token. */
  authorizes(authorization: string | undefined): boolean {
    const given = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    return this.matches(given ?? '');
  }
}

/** Compares two secrets in constant time (by digest: their lengths may differ). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
