import type { ThriftException } from './mapping';
import type { ProtocolReader, ProtocolWriter } from './wire';

/**
 * A Thrift processor (the generated one, or one wrapped by a fast path): reads one call from
 * `input`, answers through `output`, or through `replies` for a reply written over several turns.
 */
export interface Processor {
  process(input: ProtocolReader, output: ProtocolWriter, replies?: StreamedReplies): void;
}

/** How a service handler answers a call: an exception, or the value (none for `void` methods). */
export type Result<T> = (error: ThriftException | null, value?: T) => void;

/** Where a reply written over several turns goes (the connection it answers). */
export interface ReplySink {
  /** Appends bytes of the reply; false once the connection is gone (stop producing). */
  write(bytes: Buffer): boolean;
  /** Resolves once more may be written: after a turn for others, and once the peer took enough of what was sent. */
  ready(): Promise<void>;
}

/**
 * A connection that takes a reply over several turns (`produce` writes it whole, message framing
 * included), keeping other replies from interleaving with it.
 */
export interface StreamedReplies {
  stream(produce: (sink: ReplySink) => Promise<void>): void;
}
