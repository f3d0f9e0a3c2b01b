import type { WriteContext } from '../../shared/model/history';
import type { PeerIdentity } from './peer-identity';

/** Which listener a connection came in on: the main port, or the `--admin-port` one. */
export type ListenerRole = 'main' | 'admin';

/**
 * Who is on the other end of one connection, kept for as long as it is open. The handler reads it
 * (`handler.caller`) to record who made a change: `identity` is set when the peer presented a
 * client certificate the server verified, and only then can it be trusted as the actor.
 */
export class Caller {
  constructor(
    /** `host:port` of the peer, for logs. */
    readonly remote: string,
    readonly listener: ListenerRole,
    /** The verified client certificate's identity; undefined for plain-text and anonymous TLS peers. */
    readonly identity: PeerIdentity | undefined,
  ) {}

  /**
   * Who makes this connection's writes and why, as it declared with `SetWriteContext` (self-declared:
   * recorded beside `identity`, never instead of it).
   */
  declared: WriteContext | undefined = undefined;

  /** The name to record as who made a change, when the certificate says so (see `identity`). */
  get actor(): string | undefined {
    return this.identity?.name;
  }
}
