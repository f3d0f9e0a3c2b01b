import type { ThriftException } from './mapping';
import type { ProtocolReader, ProtocolWriter } from './wire';

/** A Thrift processor (the generated one, or one wrapped by a fast path): reads one call from `input`, answers through `output`. */
export interface Processor {
  process(input: ProtocolReader, output: ProtocolWriter): void;
}

/** How a service handler answers a call: an exception, or the value (none for `void` methods). */
export type Result<T> = (error: ThriftException | null, value?: T) => void;
