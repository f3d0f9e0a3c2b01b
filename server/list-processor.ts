import type { FeatureFlagStoreItem } from '../shared';
import { LIST_PAGE_BYTES } from '../shared';
import {
  MessageType,
  TType,
  type ProtocolClasses,
  type ProtocolReader,
  type ProtocolWriter,
} from '../shared/thrift/wire';
import type { Processor, StreamedReplies } from '../shared/thrift/processor';
import { writeFlipperException } from '../shared/thrift/replies/exception-replies';
import { encodeItems, listPageReplyFrame, listReplyFrame, sendItemsReply } from './list-reply';
import type { SkippedItemsLog } from './skipped-items';
import { cursorAt } from './list-source';

/** What the list replies need of the handler. */
export interface ListHandler {
  /** `List`'s flags (absent limit: all), a page at a time. Throws (or rejects) with the error to answer. */
  listItems(limit: unknown, offset: unknown): AsyncIterable<FeatureFlagStoreItem[]>;
  /** Logs a call answered. */
  listed(method: string, count: number): void;
  /** One more flag than a `ListPage` page holds at most (to know whether another page follows), and where it starts. */
  listPageItems(
    limit: unknown,
    offset: unknown,
    cursor: unknown,
  ): Promise<{ items: FeatureFlagStoreItem[]; offset: number; size: number }>;
  /** Logs a failed call; the error is then answered as a FlipperException. */
  listFailed(method: string, error: unknown): void;
  /** Logs flags left out of replies. */
  readonly skipped: SkippedItemsLog;
  /** True when the store holds its items in memory: their encodings are worth keeping. */
  readonly itemsInMemory: boolean;
}

/**
 * Answers `List` and `ListPage` itself (everything else goes to `inner`): flags are read from the
 * store in pages, encoded in slices and written in chunks that wait for the peer (see
 * `list-reply.ts`), so neither a large list nor a peer that never reads stalls other connections
 * or grows the server past the connection's output budget. A flag the wire cannot carry is left
 * out (and logged once), never failing the whole call.
 */
export function withStreamedLists(
  inner: Processor,
  handler: ListHandler,
  protocol: ProtocolClasses,
  framed: boolean,
): Processor {
  const producers = new Semaphore(LIST_PRODUCERS);
  return {
    process(input: ProtocolReader, output: ProtocolWriter, replies?: StreamedReplies): void {
      const header = input.readMessageBegin();
      const method = header.fname;
      if ((method !== 'List' && method !== 'ListPage') || header.mtype !== MessageType.CALL) {
        input.rewind();
        inner.process(input, output, replies);
        return;
      }
      const args = readArgs(input);
      input.readMessageEnd();
      const seqid = header.rseqid;
      const answer = async (): Promise<void> => {
        if (method === 'List') {
          // Only the encoded bytes are kept while the store is read: each page of flags is let go.
          // One buffer per page of the store: 20,000 small buffers would cost more than their bytes.
          const encoded: Array<Buffer | undefined> = [];
          let count = 0;
          // A few at a time: more at once only share the same CPU and hold more half-built replies.
          await producers.acquire();
          try {
            for await (const items of handler.listItems(args[1], args[2])) {
              const page = await encodeItems(items, protocol, handler.skipped, handler.itemsInMemory);
              const sendable = page.filter((b) => b !== undefined);
              count += sendable.length;
              encoded.push(Buffer.concat(sendable));
            }
          } finally {
            producers.release();
          }
          handler.listed(method, count);
          sendItemsReply(output, replies, framed, listReplyFrame(protocol, seqid, count), encoded);
          return;
        }
        const page = await handler.listPageItems(args[1], args[2], args[3]);
        const encoded = await encodeItems(
          page.items.slice(0, page.size),
          protocol,
          handler.skipped,
          handler.itemsInMemory,
        );
        // The page ends at its size or its byte budget, whichever comes first (never before one flag).
        const kept: Buffer[] = [];
        let bytes = 0;
        let taken = 0;
        for (const item of encoded) {
          if (kept.length > 0 && item !== undefined && bytes + item.length > LIST_PAGE_BYTES) break;
          taken++;
          if (item === undefined) continue;
          kept.push(item);
          bytes += item.length;
        }
        const more = taken < encoded.length || page.items.length > page.size;
        handler.listed(method, kept.length);
        const next = more ? cursorAt(page.offset + taken) : undefined;
        sendItemsReply(output, replies, framed, listPageReplyFrame(protocol, seqid, kept.length, next), kept);
      };
      answer().catch((error: unknown) => {
        handler.listFailed(method, error);
        writeFlipperException(output, method, seqid, error);
      });
    },
  };
}

/** `List`s reading and encoding at once; others wait their turn (then stream as they please). */
const LIST_PRODUCERS = 2;

/** At most `slots` holders at once; the others wait in order. */
class Semaphore {
  private readonly waiting: Array<() => void> = [];

  constructor(private slots: number) {}

  async acquire(): Promise<void> {
    if (this.slots > 0) {
      this.slots--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.slots++;
  }
}

/** The arguments struct: field id -> value (i64 and string fields; others skipped). */
function readArgs(input: ProtocolReader): Array<unknown> {
  const args: unknown[] = [];
  input.readStructBegin();
  for (;;) {
    const { ftype, fid } = input.readFieldBegin();
    if (ftype === TType.STOP) break;
    if ((fid === 1 || fid === 2) && ftype === TType.I64) args[fid] = input.readI64();
    else if (fid === 3 && ftype === TType.STRING) args[fid] = input.readString();
    else input.skip(ftype);
    input.readFieldEnd();
  }
  input.readStructEnd();
  return args;
}
