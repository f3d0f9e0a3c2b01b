import { InvalidArgumentError } from '../../errors';
import type { ProtocolName, TransportName } from './message-assembler';

/**
 * Throws `InvalidArgumentError` unless `transport` and `protocol` name ones both ends speak. The
 * server's options, its command line and the RPC store check them here; `prefix` is what the
 * option is called where it was given (`'--'` on the command line).
 */
export function validateWireOptions(
  transport: unknown,
  protocol: unknown,
  prefix = '',
): { transport: TransportName; protocol: ProtocolName } {
  if (transport !== 'buffered' && transport !== 'framed') {
    throw new InvalidArgumentError(`${prefix}transport must be buffered or framed, got ${JSON.stringify(transport)}`);
  }
  if (protocol !== 'binary' && protocol !== 'compact') {
    throw new InvalidArgumentError(`${prefix}protocol must be binary or compact, got ${JSON.stringify(protocol)}`);
  }
  return { transport, protocol };
}
