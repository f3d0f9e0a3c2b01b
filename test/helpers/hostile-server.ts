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

  constructor(private reply: HostileReply) {
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
            if (header.mtype === MessageType.CALL) this.reply(socket, { fname: header.fname, seqid: header.rseqid });
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

/** What a server without `ListPage` answers it: an application exception, UNKNOWN_METHOD. */
export function unknownMethodReply(fname: string, seqid: number): Buffer {
  const message = Buffer.from(`Unknown method ${fname}`, 'utf8');
  const head = replyHead(fname, seqid, 11 /* STRING: field 1, fixed below */, MessageType.EXCEPTION);
  head.writeInt16BE(1, head.length - 2);
  const body = Buffer.alloc(4 + message.length + 3 + 4 + 1);
  let at = body.writeInt32BE(message.length, 0);
  at += message.copy(body, at);
  body[at] = 8; // I32
  body.writeInt16BE(2, at + 1);
  body.writeInt32BE(1, at + 3); // UNKNOWN_METHOD
  return Buffer.concat([head, body]);
}
