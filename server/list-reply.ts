import type { FeatureFlagStoreItem } from '../shared';
import { itemToThrift } from '../shared/thrift/mapping';
import { MessageType, OutputBuffer, TType, type ProtocolClasses, type ProtocolWriter } from '../shared/thrift/wire';
import type { BufferedProtocolWriter } from '../shared/thrift/wire/buffered-writer';
import type { StreamedReplies } from '../shared/thrift/processor';
import type { SkippedItemsLog } from './skipped-items';
import { Slice } from '../shared/work-slices';
import { memoizedBytes } from '../shared/thrift/wire/memoized-write';

/** Reply bytes handed to the socket in one write. */
const CHUNK_BYTES = 64 * 1024;

type CapturingWriter = ProtocolWriter & Pick<BufferedProtocolWriter, 'capture' | 'reset'>;

function capturingWriter(protocol: ProtocolClasses): CapturingWriter {
  return new protocol.Writer(new OutputBuffer(false, () => {})) as CapturingWriter;
}

/**
 * Each item's bytes in `protocol`, in order; undefined (and logged once) for one the wire cannot
 * carry. Works in slices of a few ms, so a list of 20,000 flags never holds the event loop.
 * With `remember` (items the store keeps in memory), an item encodes once, for every reply after.
 */
export async function encodeItems(
  items: readonly FeatureFlagStoreItem[],
  protocol: ProtocolClasses,
  skipped: SkippedItemsLog,
  remember: boolean,
): Promise<Array<Buffer | undefined>> {
  const writer = capturingWriter(protocol);
  const out: Array<Buffer | undefined> = [];
  const slice = new Slice();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    try {
      // The item's own encoding, not a copy: a flag held in memory costs a reply nothing more.
      out.push(memoizedBytes(itemToThrift(item, remember), writer));
      skipped.sent(item.featureName);
    } catch (error) {
      out.push(undefined);
      skipped.skipped(item.featureName, error instanceof Error ? error.message : String(error));
    }
    writer.reset();
    if ((i & 15) === 15 && slice.spent()) await slice.next();
  }
  return out;
}

/** What surrounds the items of a reply: the bytes before the first and after the last. */
export interface ReplyFrame {
  head: Buffer;
  tail: Buffer;
}

/** The reply to `List`: a list of items as field 0 of the result struct. */
export function listReplyFrame(protocol: ProtocolClasses, seqid: number, count: number): ReplyFrame {
  const w = capturingWriter(protocol);
  const head = w.capture(() => {
    w.writeMessageBegin('List', MessageType.REPLY, seqid);
    w.writeStructBegin('FeatureFlagStore_List_result');
    w.writeFieldBegin('success', TType.LIST, 0);
    w.writeListBegin(TType.STRUCT, count);
  });
  const tail = w.capture(() => {
    w.writeListEnd();
    w.writeFieldEnd();
    w.writeFieldStop();
    w.writeStructEnd();
    w.writeMessageEnd();
  });
  return { head, tail };
}

/** The reply to `ListPage`: a `FeatureFlagStoreListPage` (items, then the cursor when there is a next page). */
export function listPageReplyFrame(
  protocol: ProtocolClasses,
  seqid: number,
  count: number,
  nextCursor: string | undefined,
): ReplyFrame {
  const w = capturingWriter(protocol);
  const head = w.capture(() => {
    w.writeMessageBegin('ListPage', MessageType.REPLY, seqid);
    w.writeStructBegin('FeatureFlagStore_ListPage_result');
    w.writeFieldBegin('success', TType.STRUCT, 0);
    w.writeStructBegin('FeatureFlagStoreListPage');
    w.writeFieldBegin('items', TType.LIST, 1);
    w.writeListBegin(TType.STRUCT, count);
  });
  const tail = w.capture(() => {
    w.writeListEnd();
    w.writeFieldEnd();
    if (nextCursor !== undefined) {
      w.writeFieldBegin('next_cursor', TType.STRING, 2);
      w.writeString(nextCursor);
      w.writeFieldEnd();
    }
    w.writeFieldStop();
    w.writeStructEnd();
    w.writeFieldEnd();
    w.writeFieldStop();
    w.writeStructEnd();
    w.writeMessageEnd();
  });
  return { head, tail };
}

/**
 * Sends a reply made of `frame` around `items` (the bytes of the items, in any number of buffers,
 * which it empties as it goes). Through `replies` (the server's connections) it is
 * written in chunks, each after the peer took enough of the last (the connection's output budget)
 * and after other connections had a turn; the framed transport's length goes first, computed from
 * the parts. Without `replies` it is written at once through `output`.
 */
export function sendItemsReply(
  output: ProtocolWriter,
  replies: StreamedReplies | undefined,
  framed: boolean,
  frame: ReplyFrame,
  items: Array<Buffer | undefined>,
): void {
  if (replies === undefined) {
    const raw = output as ProtocolWriter & { writeRaw(bytes: Buffer): void };
    raw.writeRaw(frame.head);
    for (const bytes of items) raw.writeRaw(bytes!);
    raw.writeRaw(frame.tail);
    output.flush();
    return;
  }
  replies.stream(async (sink) => {
    let length = frame.head.length + frame.tail.length;
    for (const bytes of items) length += bytes!.length;
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    if (framed) {
      const prefix = Buffer.allocUnsafe(4);
      prefix.writeInt32BE(length);
      chunk.push(prefix);
      chunkBytes += 4;
    }
    chunk.push(frame.head);
    chunkBytes += frame.head.length;
    for (let i = 0; i <= items.length; i++) {
      const bytes = i < items.length ? items[i]! : frame.tail;
      // Let go of what is copied into a chunk: a reply waiting for its peer holds its bytes once.
      if (i < items.length) items[i] = undefined;
      chunk.push(bytes);
      chunkBytes += bytes.length;
      if (chunkBytes >= CHUNK_BYTES) {
        if (!sink.write(chunk.length === 1 ? chunk[0] : Buffer.concat(chunk, chunkBytes))) return;
        chunk = [];
        chunkBytes = 0;
        await sink.ready();
      }
    }
    if (chunkBytes > 0) sink.write(Buffer.concat(chunk, chunkBytes));
  });
}
