import type { ProtocolWriter } from './types';

/** A writer that can hand back the bytes of one value and append them again (the project's own writers). */
interface CapturingWriter extends ProtocolWriter {
  writeRaw(bytes: Buffer): void;
  capture(write: () => void): Buffer;
}

/** Where a memoized struct keeps its bytes per writer class. */
const ENCODED = Symbol('flipper.encoded');

function isCapturing(output: ProtocolWriter): output is CapturingWriter {
  const o = output as Partial<CapturingWriter>;
  return typeof o.writeRaw === 'function' && typeof o.capture === 'function';
}

/**
 * Makes an immutable generated struct write its bytes once per protocol and copy them afterwards.
 * Encoding a flag item field by field is most of what a `Get` costs the server, and the same item
 * is sent again and again until it changes (and a change makes a new item). A struct's encoding
 * does not depend on what surrounds it in either protocol, so the copy is byte for byte what
 * `write` would produce. The struct must not be changed after this; other writers (npm thrift's)
 * still get the ordinary `write`. Returns `struct`.
 */
export function memoizeWrite<T extends object>(struct: T): T {
  // The generated declarations leave `write` out; every generated struct has it.
  const plain = (struct as unknown as { write(output: ProtocolWriter): void }).write;
  // At most one entry per writer class (binary, compact).
  const encoded = new Map<unknown, Buffer>();
  Object.defineProperty(struct, ENCODED, { value: encoded });
  const write = (output: ProtocolWriter): void => {
    if (!isCapturing(output)) return plain.call(struct, output);
    const bytes = encoded.get(output.constructor);
    if (bytes !== undefined) output.writeRaw(bytes);
    else
      encoded.set(
        output.constructor,
        output.capture(() => plain.call(struct, output)),
      );
  };
  // Not enumerable: the struct's keys and JSON stay its fields.
  Object.defineProperty(struct, 'write', { value: write, enumerable: false, configurable: true, writable: true });
  return struct;
}

/**
 * The bytes `struct` writes through `output` (one of our writers; it is left with nothing
 * written): for a struct made by `memoizeWrite`, its cached bytes (encoded and cached now when
 * missing), shared and never to be changed; for any other, a fresh copy.
 */
export function memoizedBytes(struct: object, output: ProtocolWriter): Buffer {
  if (!isCapturing(output)) throw new TypeError('memoizedBytes needs one of our own protocol writers');
  const encoded = (struct as { [ENCODED]?: Map<unknown, Buffer> })[ENCODED];
  const write = () => (struct as { write(o: ProtocolWriter): void }).write(output);
  const cached = encoded?.get(output.constructor);
  if (cached !== undefined) return cached;
  const bytes = output.capture(write);
  (output as CapturingWriter & { reset(): void }).reset();
  return encoded?.get(output.constructor) ?? bytes;
}
