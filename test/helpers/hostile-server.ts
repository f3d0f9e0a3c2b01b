import { createServer, type Server, type Socket } from 'node:net';
import { MessageAssembler, MessageType, protocolClasses } from '../../shared/thrift/wire';

/** How a hostile server answers one call: it writes whatever it likes on the socket. */
export type HostileReply = (socket: Socket, call: { fname: string; seqid: number }) => void;

/**
 * A server speaking buffered binary Thrift that reads each call (its method and seqid) and answers
 * with `reply`, which may send anything: garbage, a reply that never ends, a huge one.
 * `close()` drops every connection.
 */
export class HostileServer {
  port = 0;
  connections = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  /** `answersListPage`: hand `ListPage` calls to `reply` too, instead of answering UNKNOWN_METHOD. */
  constructor(
    private reply: HostileReply,
    private readonly options: { answersListPage?: boolean } = {},
  ) {
    this.server = createServer((socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => this.sockets.delete(socket));
      const assembler = new MessageAssembler({ transport: 'buffered', protocol: 'binary', maxMessageBytes: 1 << 20 });
      socket.on('data', (chunk: Buffer) => {
        try {
          assembler.push(chunk, (buf, start, end) => {
            const reader = new (protocolClasses('binary').Reader)(buf, start, end);
            const header = reader.readMessageBegin();
            if (header.mtype !== MessageType.CALL) return;
            // As the Python library's server does: no ListPage, so the client falls back to List and
            // the hostile answers below reach the List reply reader.
            if (header.fname === 'ListPage' && this.options.answersListPage !== true)
              socket.write(unknownMethodReply(header.fname, header.rseqid));
            else this.reply(socket, { fname: header.fname, seqid: header.rseqid });
          });
        } catch {
          socket.destroy();
        }
      });
    });
  }

  /** Answers the next calls another way. */
  answerWith(reply: HostileReply): void {
    this.reply = reply;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The start of a strict binary reply to `fname`: message header, then the result struct's field 0 header of `type`. */
export function replyHead(fname: string, seqid: number, fieldType: number, mtype: number = MessageType.REPLY): Buffer {
  const name = Buffer.from(fname, 'utf8');
  const head = Buffer.alloc(4 + 4 + name.length + 4 + 3);
  let at = head.writeInt32BE(0x80010000 | mtype | 0, 0);
  at = head.writeInt32BE(name.length, at);
  at += name.copy(head, at);
  at = head.writeInt32BE(seqid, at);
  head[at] = fieldType;
  head.writeInt16BE(0, at + 1);
  return head;
}

/** A List reply whose list holds `count` empty structs (one STOP byte each), then the result's STOP. */
export function emptyStructsListReply(seqid: number, count: number): Buffer {
  const list = Buffer.alloc(5 + count + 1); // zeros: the STOP of each struct, then the result's
  list[0] = 12; // STRUCT
  list.writeInt32BE(count, 1);
  return Buffer.concat([replyHead('List', seqid, 15 /* LIST */), list]);
}

/** A ListPage reply whose page holds `count` empty structs, and no cursor. */
export function emptyStructsListPageReply(seqid: number, count: number): Buffer {
  // field 0 STRUCT (the page) { field 1 LIST<STRUCT>[count] ... STOP } STOP
  const page = Buffer.alloc(3 + 5 + count + 2);
  page[0] = 15; // LIST
  page.writeInt16BE(1, 1);
  page[3] = 12; // STRUCT
  page.writeInt32BE(count, 4);
  return Buffer.concat([replyHead('ListPage', seqid, 12 /* STRUCT */), page]);
}

/** A TApplicationException UNKNOWN_METHOD (1) reply to `fname`, as a server without that method sends. */
export function unknownMethodReply(fname: string, seqid: number): Buffer {
  const name = Buffer.from(fname, 'utf8');
  const message = Buffer.from(`Invalid method name: '${fname}'`, 'utf8');
  const out = Buffer.alloc(4 + 4 + name.length + 4 + 3 + 4 + message.length + 3 + 4 + 1);
  let at = out.writeInt32BE(0x80010000 | MessageType.EXCEPTION | 0, 0);
  at = out.writeInt32BE(name.length, at);
  at += name.copy(out, at);
  at = out.writeInt32BE(seqid, at);
  at = out.writeUInt8(11 /* STRING */, at);
  at = out.writeInt16BE(1, at);
  at = out.writeInt32BE(message.length, at);
  at += message.copy(out, at);
  at = out.writeUInt8(8 /* I32 */, at);
  at = out.writeInt16BE(2, at);
  at = out.writeInt32BE(1 /* UNKNOWN_METHOD */, at);
  out.writeUInt8(0 /* STOP */, at);
  return out;
}
