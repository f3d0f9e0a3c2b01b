import type { ProtocolWriter } from './types';

/** A writer that can hand back the bytes of one value and append them again (the project's own writers). */
interface CapturingWriter extends ProtocolWriter {
  writeRaw(bytes: Buffer): void;
  capture(write: () => void): Buffer;
}

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
