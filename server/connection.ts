import type { Socket } from 'node:net';
import type { FlipperLogger } from '../shared/logger';
import { InvalidArgumentError } from '../shared';
import {
  MessageAssembler,
  MessageType,
  OutputBuffer,
  ProtocolError,
  type MessageAssemblerOptions,
  type MessageHeader,
  type ProtocolClasses,
  type ProtocolWriter,
} from '../shared/thrift/wire';
import type { Processor, ReplySink, StreamedReplies } from '../shared/thrift/processor';
import type { Caller } from './security/caller';
import {
  ApplicationExceptionType,
  writeApplicationException,
  writeFlipperException,
} from '../shared/thrift/replies/exception-replies';

export interface ConnectionSettings {
  processor: Processor;
  protocol: ProtocolClasses;
  assembler: MessageAssemblerOptions;
  /** Calls one connection may have in flight before we stop reading from it. */
  maxInFlight: number;
  /** Unsent reply bytes (written plus expected from calls in flight) past which we stop reading. */
  maxPendingBytes: number;
  logger: FlipperLogger;
}

const EMPTY = Buffer.alloc(0);
/**
 * Reply bytes (as estimated) one connection may start per event-loop turn. Replies to calls
 * started together are written together, so without this ten connections pipelining calls for a
 * 1 MB flag make one turn copy ~80 MB while every other client waits.
 */
const TURN_BYTES = 1024 * 1024;
const HTTP_METHODS = ['GET ', 'POST', 'PUT ', 'HEAD', 'DELE', 'OPTI', 'PATC', 'CONN', 'TRAC', 'PRI '];
const HTTP_BODY = 'This port speaks Thrift (the FeatureFlagStore service), not HTTP.\n';
const HTTP_RESPONSE =
  'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\n' +
  `Content-Length: ${HTTP_BODY.length}\r\n\r\n${HTTP_BODY}`;

/**
 * One client connection: cuts the byte stream into messages, hands each to the processor, writes
 * replies as they complete (calls may be pipelined; replies carry their seqid), and stops reading
 * while too many calls are in flight or the peer is not reading its replies. Bytes that are not a
 * message close this connection only.
 */
export class ServerConnection implements StreamedReplies {
  /** Calls received whose reply is not written yet. */
  inFlight = 0;
  /** When bytes last moved either way (ms since epoch). */
  lastActivity = Date.now();
  /** When the incomplete message now buffered started arriving, 0 when none is. */
  partialSince = 0;
  /** Set once the server shuts down or the connection is being closed: no new calls are read. */
  closing = false;
  private readonly assembler: MessageAssembler;
  private prefix: Buffer | undefined;
  private checkedHttp = false;
  private paused = false;
  private corked = false;
  /** True while the assembler is delivering messages, so a reply written meanwhile does not re-enter it. */
  private delivering = false;
  /**
   * Expected size of the next reply: recent large replies weigh (halving per reply), so calls for
   * a big flag are dispatched only as far as the output budget allows. Until a first reply is seen
   * it is an eighth of the budget: a new connection starts at most eight calls before we know how
   * large its replies are.
   */
  private replyEstimate: number;
  /** Set when a message completes during a push, so the slow-message clock restarts. */
  private completed = false;
  /** Estimated reply bytes of the calls started this turn; reset by `nextTurn`. */
  private turnBytes = 0;
  private turnScheduled = false;
  private readonly nextTurn = () => {
    this.turnScheduled = false;
    this.turnBytes = 0;
    this.updateFlow();
  };
  private readonly onMessage = (buf: Buffer, start: number, end: number) => {
    this.completed = true;
    this.turnBytes += this.replyEstimate;
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(this.nextTurn);
    }
    this.dispatch(buf, start, end);
    // At a cap, the rest of what was received waits in the assembler until replies go out.
    return !this.busy() && !this.closing;
  };
  /**
   * One writer for every reply: a reply is written whole in one synchronous run (the generated
   * code writes and flushes it in its callback), so replies never interleave.
   */
  private readonly writer: ProtocolWriter;
  private readonly uncork = () => {
    this.corked = false;
    this.socket.uncork();
  };
  /** Replies written over several turns, waiting for the one being written (see `stream`). */
  private readonly streams: Array<(sink: ReplySink) => Promise<void>> = [];
  /** True while a streamed reply is being written: other replies wait in `held`. */
  private streaming = false;
  /** Whole replies finished while a streamed one was being written, sent after it. */
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    readonly socket: Socket,
    private readonly settings: ConnectionSettings,
    /** Who is calling on this connection (its verified client certificate, under TLS). */
    readonly caller?: Caller,
  ) {
    this.assembler = new MessageAssembler(settings.assembler);
    this.replyEstimate = Math.ceil(settings.maxPendingBytes / 8);
    this.writer = new settings.protocol.Writer(
      new OutputBuffer(settings.assembler.transport === 'framed', (bytes) => this.send(bytes)),
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => {
      this.lastActivity = Date.now();
      this.updateFlow();
    });
    socket.on('error', (err) => {
      this.settings.logger.debug({ remote: this.remote, err }, 'connection error');
      socket.destroy();
    });
  }

  /** `host:port` of the peer, for logs. */
  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /** Stops reading calls; closes now when idle, else once the calls in flight are answered. */
  shutdown(): void {
    this.closing = true;
    this.socket.pause();
    if (this.inFlight === 0) this.end();
  }

  /** Closes after flushing what was written, so no written reply is lost. */
  end(): void {
    this.closing = true;
    if (this.socket.destroyed) return;
    this.socket.end(() => this.socket.destroy());
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    this.lastActivity = Date.now();
    // The slow-message clock starts at a message's first byte, even before its header is whole.
    if (this.partialSince === 0) this.partialSince = this.lastActivity;
    if (!this.checkedHttp) {
      const head = this.prefix ? Buffer.concat([this.prefix, chunk]) : chunk;
      if (head.length < 4) {
        this.prefix = head;
        return;
      }
      this.prefix = undefined;
      this.checkedHttp = true;
      if (HTTP_METHODS.includes(head.toString('latin1', 0, 4))) {
        this.settings.logger.warn({ remote: this.remote }, 'rejected an HTTP request on the Thrift port');
        this.closing = true;
        this.socket.end(HTTP_RESPONSE, () => this.socket.destroy());
        return;
      }
      chunk = head;
    }
    this.deliver(chunk);
    this.updateFlow();
  }

  /** Feeds bytes (or none, to go on with held ones) to the assembler, which dispatches whole calls. */
  private deliver(chunk: Buffer): void {
    this.delivering = true;
    this.completed = false;
    try {
      this.assembler.push(chunk, this.onMessage);
    } catch (error) {
      this.reject(error);
      return;
    } finally {
      this.delivering = false;
    }
    // A client sending whole calls back to back restarts the clock with each call it completes.
    if (this.assembler.buffered === 0) this.partialSince = 0;
    else if (this.completed || this.partialSince === 0) this.partialSince = Date.now();
  }

  /** Closes a connection whose bytes cannot be trusted any more. */
  private reject(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof ProtocolError) {
      this.settings.logger.warn({ remote: this.remote, error: reason }, 'closed a connection that sent bad bytes');
    } else {
      this.settings.logger.error({ remote: this.remote, err: error }, 'closed a connection after an internal error');
    }
    this.assembler.clear();
    this.closing = true;
    this.socket.pause();
    // Calls read before the bad bytes still get their replies; then the connection closes.
    if (this.inFlight === 0) this.socket.destroy();
  }

  private dispatch(buf: Buffer, start: number, end: number): void {
    const reader = new this.settings.protocol.Reader(buf, start, end);
    // Peeked first, so a call whose arguments do not decode can still be answered by name and seqid.
    const header = reader.readMessageBegin();
    reader.rewind();
    const writer = this.writer;
    this.inFlight++;
    if (header.mtype !== MessageType.CALL && header.mtype !== MessageType.ONEWAY) {
      writeApplicationException(
        writer,
        header.fname,
        header.rseqid,
        ApplicationExceptionType.INVALID_MESSAGE_TYPE,
        `expected a call, got message type ${header.mtype}`,
      );
      return;
    }
    try {
      this.settings.processor.process(reader, writer, this);
    } catch (error) {
      this.answerUndecodable(writer, header, error);
    }
  }

  /** A well-framed call whose arguments do not decode: answered, and the connection goes on. */
  private answerUndecodable(writer: ProtocolWriter, header: MessageHeader, error: unknown): void {
    (writer as ProtocolWriter & { reset(): void }).reset();
    const reason = error instanceof Error ? error.message : String(error);
    this.settings.logger.warn({ method: header.fname, error: reason }, 'call failed: arguments do not decode');
    if (error instanceof ProtocolError && error.kind === 'invalid-utf8') {
      writeFlipperException(
        writer,
        header.fname,
        header.rseqid,
        new InvalidArgumentError(`${header.fname}: a string argument is not valid UTF-8`),
      );
    } else {
      writeApplicationException(
        writer,
        header.fname,
        header.rseqid,
        ApplicationExceptionType.PROTOCOL_ERROR,
        `${header.fname}: the arguments do not decode: ${reason}`,
      );
    }
  }

  /**
   * Writes one reply over several turns: `produce` writes it whole (framing included) through the
   * sink, which waits for the peer to take what was sent (the output budget) and gives other
   * connections a turn between chunks. Replies finished meanwhile are held and sent after it, so
   * bytes of two replies never interleave. Counts as the reply of one call in flight.
   */
  stream(produce: (sink: ReplySink) => Promise<void>): void {
    this.streams.push(produce);
    if (!this.streaming) void this.writeStreams();
  }

  private async writeStreams(): Promise<void> {
    this.streaming = true;
    for (let produce = this.streams.shift(); produce !== undefined; produce = this.streams.shift()) {
      let written = 0;
      const sink: ReplySink = {
        write: (bytes) => {
          if (this.socket.destroyed || !this.socket.writable) return false;
          written += bytes.length;
          this.lastActivity = Date.now();
          this.socket.write(bytes);
          return true;
        },
        ready: () => this.writable(),
      };
      try {
        await produce(sink);
      } catch (err) {
        // A reply cut short cannot be taken back: the connection closes.
        this.settings.logger.error({ remote: this.remote, err }, 'could not write a reply');
        this.socket.destroy();
      }
      this.inFlight--;
      this.replyEstimate = Math.max(written, Math.floor(this.replyEstimate / 2));
    }
    this.streaming = false;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    if (!this.socket.destroyed && this.socket.writable) for (const bytes of held) this.socket.write(bytes);
    if (this.closing && this.inFlight === 0) this.end();
    else this.updateFlow();
  }

  /** Resolves after a turn for other connections, once the peer holds less than the output budget unread. */
  private writable(): Promise<void> {
    return new Promise((resolve) => {
      const socket = this.socket;
      if (socket.destroyed || socket.writableLength < this.settings.maxPendingBytes) {
        setImmediate(resolve);
        return;
      }
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  private send(bytes: Buffer): void {
    this.inFlight--;
    this.replyEstimate = Math.max(bytes.length, Math.floor(this.replyEstimate / 2));
    if (this.streaming) {
      // Not copied: the writer never writes a flushed message's bytes again.
      this.held.push(bytes);
      this.heldBytes += bytes.length;
      this.updateFlow();
      return;
    }
    if (!this.socket.destroyed && this.socket.writable) {
      this.lastActivity = Date.now();
      // Replies finished in the same tick go out in one write.
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        process.nextTick(this.uncork);
      }
      this.socket.write(bytes);
    }
    if (this.closing && this.inFlight === 0) this.end();
    else this.updateFlow();
  }

  /**
   * True while no more calls should start: at the in-flight cap, past this turn's share, or when the replies not yet taken
   * by the peer plus those expected from calls in flight reach the output budget. One call may
   * always be in flight, so a single reply larger than the budget is still served.
   */
  private busy(): boolean {
    if (this.inFlight >= this.settings.maxInFlight || this.turnBytes >= TURN_BYTES) return true;
    return (
      this.socket.writableLength + this.heldBytes + this.inFlight * this.replyEstimate >= this.settings.maxPendingBytes
    );
  }

  /** Reads while few calls are in flight and the peer takes its replies; pauses otherwise (resumed on 'drain'). */
  private updateFlow(): void {
    if (this.closing || this.delivering) return;
    const busy = () => this.busy() || this.socket.writableNeedDrain;
    // Calls held back at a cap go first, before more bytes are read.
    if (!busy() && this.assembler.buffered > 0) this.deliver(EMPTY);
    if (this.closing) return;
    if (busy() && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!busy() && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
