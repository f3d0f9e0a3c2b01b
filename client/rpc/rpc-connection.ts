import { connect, type Socket } from 'node:net';
import { ConnectionError, TimeoutError } from '../../shared';
import {
  MessageAssembler,
  MessageType,
  OutputBuffer,
  protocolClasses,
  type ProtocolClasses,
  type ProtocolName,
  type ProtocolReader,
  type TransportName,
} from '../../shared/thrift/wire';
import type { FlipperLogger } from '../../shared/logger';
import { startDeadline } from '../calls/deadline';
import { StateChangeLog } from '../calls/state-change-log';
import { PendingCall } from './pending-call';
import type { ReplyDecoder } from './reply-cache';
import type { GeneratedClient, RpcCaller, RpcMethod } from './rpc-caller';

export interface RpcConnectionSettings {
  host: string;
  port: number;
  transport: TransportName;
  protocol: ProtocolName;
  /** Deadline of each call, connecting included, in ms. */
  timeoutMs: number;
  /** Largest reply accepted, in bytes. */
  maxMessageBytes: number;
  logger?: FlipperLogger;
}

/** The generated client's internals this connection drives: its seqid counter, callbacks and `recv_*`. */
type DrivenClient = GeneratedClient & {
  _seqid: number;
  _reqs: Record<number, unknown>;
} & Record<string, unknown>;

const MAX_SEQID = 0x7fffffff;

/**
 * One TCP connection to the flag server, owned by the RPC store: connects on the first call,
 * reconnects on the next call after a loss, and pipelines calls (replies are matched by seqid).
 * Every call has a deadline covering connecting and the round trip; a call still waiting when the
 * connection drops fails at once with `ConnectionError`, one past its deadline with `TimeoutError`.
 * Encoding, framing and decoding are the project's own wire code; the generated client supplies
 * the method signatures and result structs.
 */
export class RpcConnection implements RpcCaller {
  private socket: Socket | undefined;
  private connecting: Promise<void> | undefined;
  private connectingSocket: Socket | undefined;
  private assembler: MessageAssembler;
  private readonly client: DrivenClient;
  private readonly protocol: ProtocolClasses;
  private readonly pending = new Map<number, PendingCall>();
  private closed = false;
  /** Logs once per change between reachable and not. */
  private readonly reachability: StateChangeLog;
  private corked = false;
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  private readonly onReply = (buf: Buffer, start: number, end: number) => this.receive(buf, start, end);

  constructor(private readonly settings: RpcConnectionSettings) {
    this.protocol = protocolClasses(settings.protocol);
    this.assembler = this.newAssembler();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const service = require('../../gen-nodejs/FeatureFlagStore') as {
      Client: new (output: OutputBuffer, pClass: ProtocolClasses['Writer']) => DrivenClient;
    };
    const output = new OutputBuffer(settings.transport === 'framed', (bytes) => this.write(bytes));
    this.client = new service.Client(output, this.protocol.Writer);
    this.reachability = new StateChangeLog(
      settings.logger,
      { target: this.target },
      {
        failing: 'the flag server is unreachable',
        working: 'connected to the flag server again',
        counted: 'connection failures',
      },
    );
  }

  /** Deadline of each call, in ms. */
  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  /** `host:port`, for messages. */
  get target(): string {
    return `${this.settings.host}:${this.settings.port}`;
  }

  call(method: RpcMethod, args: unknown[], decoder?: ReplyDecoder): Promise<unknown> {
    if (this.closed) return Promise.reject(new ConnectionError(`The RPC store for ${this.target} is closed`));
    return new Promise((resolve, reject) => {
      const call = new PendingCall(this, method, args, decoder, resolve, reject);
      if (this.socket) this.send(call);
      else this.connect().then(() => this.send(call), call.settle);
    });
  }

  /** Writes a call (the generated client encodes it) and waits for its reply by seqid. */
  send(call: PendingCall): void {
    if (call.done) return;
    if (this.closed) return call.settle(new ConnectionError(`The RPC store for ${this.target} is closed`));
    if (this.client._seqid >= MAX_SEQID) this.client._seqid = 0;
    try {
      this.client[call.method](...call.args, call.settle);
    } catch (error) {
      return call.settle(error);
    }
    call.seqid = this.client._seqid;
    this.pending.set(call.seqid, call);
  }

  /** Forgets a settled call. */
  forget(seqid: number): void {
    this.pending.delete(seqid);
    delete this.client._reqs[seqid];
  }

  /** Closes the connection; calls still waiting fail with `ConnectionError`. Leaves no timer. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failPending(new ConnectionError(`The RPC store for ${this.target} was closed with the call in flight`));
    this.connectingSocket?.destroy();
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(): Promise<void> {
    this.connecting ??= new Promise<void>((resolve, reject) => {
      // Replies are read into one reused buffer (no stream machinery, no allocation per read): the
      // assembler consumes each read at once and copies only an incomplete message.
      const socket: Socket = connect({
        host: this.settings.host,
        port: this.settings.port,
        onread: { buffer: this.readBuffer, callback: (n: number, buf: Buffer) => this.read(socket, buf, n) },
      });
      this.connectingSocket = socket;
      socket.setNoDelay(true);
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.connecting = undefined;
        this.connectingSocket = undefined;
        socket.destroy();
        if (!this.closed) this.reachability.failed({ reason: 'cannot connect', err: error });
        reject(
          error instanceof TimeoutError || error instanceof ConnectionError
            ? error
            : new ConnectionError(`Cannot connect to the flag server at ${this.target}: ${error.message}`, {
                cause: error,
              }),
        );
      };
      const timer = startDeadline(this.settings.timeoutMs, `Connecting to ${this.target}`, fail);
      socket.once('error', fail);
      socket.once('close', () => fail(new ConnectionError(`The connection to ${this.target} closed while opening`)));
      socket.once('connect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('error', fail);
        socket.removeAllListeners('close');
        this.connecting = undefined;
        this.connectingSocket = undefined;
        this.attach(socket);
        resolve();
      });
    });
    return this.connecting;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.assembler = this.newAssembler();
    this.reachability.succeeded();
    socket.on('error', (error) => this.drop(socket, error.message));
    socket.on('close', () => this.drop(socket, 'the server closed the connection'));
  }

  /** Takes `n` bytes the socket read into the shared read buffer. */
  private read(socket: Socket, buf: Buffer, n: number): boolean {
    if (this.socket !== socket) return false;
    try {
      this.assembler.push(buf.subarray(0, n), this.onReply);
    } catch (error) {
      this.drop(socket, `the server sent bytes that are not a reply: ${(error as Error).message}`);
      return false;
    }
    return true;
  }

  /** Forgets a lost connection and fails the calls waiting on it; the next call reconnects. */
  private drop(socket: Socket, reason: string): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    socket.destroy();
    if (this.closed) return;
    this.reachability.failed({ reason: `connection lost: ${reason}` });
    this.failPending(new ConnectionError(`Connection to the flag server at ${this.target} lost: ${reason}`));
  }

  private failPending(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const call of waiting) call.settle(error);
  }

  private write(bytes: Buffer): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return; // the close handler fails the call
    // Calls made in the same tick go out in one write.
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(bytes);
  }

  private receive(buf: Buffer, start: number, end: number): void {
    const reader: ProtocolReader = new this.protocol.Reader(buf, start, end);
    let seqid = -1;
    try {
      const header = reader.readMessageBegin();
      seqid = header.rseqid;
      const call = this.pending.get(seqid);
      if (call?.decoder && header.mtype === MessageType.REPLY && call.cached(buf, reader.position, end)) return;
      const recv = this.client[`recv_${header.fname}`];
      if (typeof recv !== 'function') throw new Error(`a reply to unknown method ${JSON.stringify(header.fname)}`);
      recv.call(this.client, reader, header.mtype, header.rseqid);
    } catch (error) {
      const reason = `a reply does not decode: ${(error as Error).message}`;
      this.pending.get(seqid)?.settle(new ConnectionError(`The flag server at ${this.target} sent ${reason}`));
      if (this.socket) this.drop(this.socket, reason);
    }
  }

  private newAssembler(): MessageAssembler {
    return new MessageAssembler({
      transport: this.settings.transport,
      protocol: this.settings.protocol,
      maxMessageBytes: this.settings.maxMessageBytes,
    });
  }
}
