import type { ProtocolName, TransportName } from './message-assembler';

/** The bytes a Thrift message begins with: strict binary `0x80 0x01`, compact `0x82`. */
function beginsMessage(bytes: Buffer, at: number, protocol: ProtocolName): boolean | undefined {
  if (protocol === 'compact') return bytes.length > at ? bytes[at] === 0x82 : undefined;
  if (bytes.length < at + 2) return undefined;
  return bytes[at] === 0x80 && bytes[at + 1] === 0x01;
}

/** What a peer using the other transport sends or answers, for the first bytes on a connection. */
export type TransportCheck =
  { verdict: 'same' } | { verdict: 'need-more' } | { verdict: 'other'; peerTransport: TransportName };

/**
 * Whether the first bytes of a connection come from a peer using the other transport than
 * `expected`: a framed message is a 4-byte length and then a message's first bytes; a buffered one
 * is a message's first bytes at once. Without this a framed client on a buffered server (or the
 * reverse) is a silent wait until the call's deadline.
 */
export function checkTransport(
  head: Buffer,
  expected: TransportName,
  protocol: ProtocolName,
  maxFrameBytes = 0x7fffffff,
): TransportCheck {
  if (expected === 'framed') {
    // A frame length starting 0x80 or 0x82 would be over 2 GiB: it is a message's first byte.
    const unframed = beginsMessage(head, 0, protocol);
    if (unframed === undefined) return { verdict: 'need-more' };
    return unframed ? { verdict: 'other', peerTransport: 'buffered' } : { verdict: 'same' };
  }
  const atOnce = beginsMessage(head, 0, protocol);
  if (atOnce === undefined) return { verdict: 'need-more' };
  if (atOnce) return { verdict: 'same' };
  // Only a length a frame could have is worth waiting for; other bytes are the assembler's to refuse.
  if (head.length < 4) return { verdict: 'need-more' };
  const length = head.readUInt32BE(0);
  if (length === 0 || length > maxFrameBytes) return { verdict: 'same' };
  const afterLength = beginsMessage(head, 4, protocol);
  if (afterLength === undefined) return { verdict: 'need-more' };
  return afterLength ? { verdict: 'other', peerTransport: 'framed' } : { verdict: 'same' };
}

/** The words for a mismatch, the same on both sides. */
export function transportMismatchMessage(
  ours: TransportName,
  theirs: TransportName,
  side: 'server' | 'client',
): string {
  const fix =
    side === 'server'
      ? `start the server with --transport ${theirs}, or give the client transport '${ours}'`
      : `give this client transport '${theirs}', or start the server with --transport ${ours}`;
  return `transport mismatch: this ${side} uses the ${ours} transport and the ${side === 'server' ? 'client' : 'server'} ${theirs}: ${fix}`;
}
