import { connect, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { ConnectionError, MessageTooLargeError, TimeoutError } from '../../shared';
import {
  MessageAssembler,
  MessageType,
  OutputBuffer,
  ProtocolError,
  checkTransport,
  protocolClasses,
  transportMismatchMessage,
  type MessageHeader,
  type ProtocolClasses,
  type ProtocolName,
  type ProtocolReader,
  type TransportName,
} from '../../shared/thrift/wire';
import type { FlipperLogger } from '../../shared/logger';
import { Backoff, type BackoffOptions } from '../calls/backoff';
import { startDeadline } from '../calls/deadline';
import { StateChangeLog } from '../calls/state-change-log';
import { MAX_VALUES_PER_FLAG } from './list-reply';
import { PendingCall } from './pending-call';
import type { ReplyDecoder } from './reply-cache';
import {
  DECLARED_CONTEXT_WRITES,
  fitArguments,
  type GeneratedClient,
  type RpcCaller,
  type RpcMethod,
} from './rpc-caller';
import { currentWriteContext } from '../calls/write-context';
import { isUnknownMethodReply } from './unknown-method';
import type { WriteContext } from '../../shared/model/history';
import { thriftTypes } from '../../shared/thrift/mapping';
import { writeContextToThrift } from '../../shared/thrift/history-mapping';

export interface RpcConnectionSettings {
  host: string;
  port: number;
  transport: TransportName;
  protocol: ProtocolName;
  /** Deadline of each call, connecting included, in ms. */
  timeoutMs: number;
  /** Largest reply accepted, in bytes. */
  maxMessageBytes: number;
  /** Delays between failed connection attempts. */
  reconnect?: BackoffOptions;
  /** Calls in a row past their deadline after which the connection is dropped. Default 3. */
  maxConsecutiveTimeouts?: number;
  /**
   * True: neither the socket nor any timer keeps the process alive (a replica's feed, which runs
   * for the life of the app). Default false.
   */
  unref?: boolean;
  /** TCP keepalive probes start after this long without traffic, in ms. Default 5000. */
  keepAliveMs?: number;
  /** TLS to the server (a `flipper-server --tls-cert ...`). Default: plain text. */
  tls?: RpcTlsOptions;
  logger?: FlipperLogger;
}

/**
 * TLS to the flag server. Every value is PEM text (a string or Buffer), not a file path, as Node's
 * `tls.connect` takes them: read the files yourself (`readFileSync('ca.crt')`).
 */
export interface RpcTlsOptions {
  /** CA certificate(s) that the server's certificate must chain to. Default: Node's bundled public CAs. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** This client's certificate (chain), for a server that asks for one (`--tls-client-auth`). */
  cert?: string | Buffer;
  /** The private key of `cert`. */
  key?: string | Buffer;
  /** The name the server's certificate must carry (and SNI). Default: `host`. */
  servername?: string;
  /** Oldest TLS version accepted. Default `'TLSv1.2'`. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
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
  /** Waits between failed connection attempts, so clients of a dead server do not storm it. */
  private readonly backoff: Backoff;
  private consecutiveTimeouts = 0;
  /** Reads on the current socket so far: a call that saw none after it was written saw silence. */
  private reads = 0;
  /** True once the current socket delivered a reply: losing it then is not a failed attempt. */
  private answered = false;
  /** Counts the sockets attached, so a call is judged only with the connection it was written on. */
  private generation = 0;
  /** The write context declared on the connection of `generation` (a JSON key; '' for none). */
  private declared: { generation: number; key: string } | undefined;
  /** The server has no `SetWriteContext` (older than history): writes go without context. */
  private contextUnsupported = false;

  constructor(private readonly settings: RpcConnectionSettings) {
    this.protocol = protocolClasses(settings.protocol);
    this.backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, ...settings.reconnect });
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

  /** True when the connection does not keep the process alive. */
  get unref(): boolean {
    return this.settings.unref === true;
  }

  /** `host:port`, for messages. */
  get target(): string {
    return `${this.settings.host}:${this.settings.port}`;
  }

  call(method: RpcMethod, args: unknown[], decoder?: ReplyDecoder, timeoutMs?: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new ConnectionError(`The RPC store for ${this.target} is closed`));
    // A wait for the next attempt that outlasts the deadline would only delay the same answer.
    const wait = this.socket ? 0 : this.backoff.waitMs();
    if (wait >= (timeoutMs ?? this.settings.timeoutMs)) {
      return Promise.reject(
        new ConnectionError(
          `The flag server at ${this.target} is unreachable (${this.backoff.failuresInARow} failed attempts in a row); ` +
            `next attempt in ${Math.ceil(wait)} ms`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const call = new PendingCall(this, method, args, decoder, resolve, reject, timeoutMs);
      // Read here, in the async context of the client call that makes the write.
      if (DECLARED_CONTEXT_WRITES.has(method)) call.declaredContext = declarable(currentWriteContext());
      if (this.socket) this.send(call);
      else this.connect().then(() => this.send(call), call.settle);
    });
  }

  /** Writes a call (the generated client encodes it) and waits for its reply by seqid. */
  send(call: PendingCall): void {
    if (call.done) return;
    if (this.closed) return call.settle(new ConnectionError(`The RPC store for ${this.target} is closed`));
    if (call.declaredContext !== undefined) this.declare(call.declaredContext);
    if (this.client._seqid >= MAX_SEQID) this.client._seqid = 0;
    try {
      const send = this.client[call.method]!;
      send.call(this.client, ...fitArguments(send, call.args), call.settle);
    } catch (error) {
      return call.settle(error);
    }
    call.seqid = this.client._seqid;
    call.sentAt = Date.now();
    call.readsBefore = this.reads;
    call.sentOn = this.generation;
    this.pending.set(call.seqid, call);
  }

  /**
   * Makes `context` the connection's declared write context, when it is not already: a
   * `SetWriteContext` call written just before the write (calls on one connection are read in
   * order, so the write is made under it). Its answer matters only to find a server without the
   * method (older): then writes go without context, as before history.
   */
  private declare(context: WriteContext | null): void {
    const key = context === null ? '' : JSON.stringify([context.actor ?? null, context.reason ?? null]);
    const declared = this.declared?.generation === this.generation ? this.declared.key : '';
    if (key === declared || this.contextUnsupported) return;
    this.declared = { generation: this.generation, key };
    const declaration = new PendingCall(
      this,
      'SetWriteContext',
      [writeContextToThrift(context ?? undefined) ?? new (thriftTypes().WriteContext)({})],
      undefined,
      () => undefined,
      (error: unknown) => {
        if (isUnknownMethodReply(error)) this.contextUnsupported = true;
      },
    );
    this.send(declaration);
  }

  /**
   * A call passed its deadline. The connection is dropped (the next call opens a new one) when it
   * looks stuck: part of a reply arrived and the rest did not, nothing at all arrived since the
   * call was written, or too many calls in a row timed out. Otherwise a frozen connection would
   * fail every call for good while a new one would work.
   */
  timedOut(call: PendingCall): void {
    const socket = this.socket;
    if (!socket || call.sentAt === 0 || call.sentOn !== this.generation) return;
    this.consecutiveTimeouts++;
    const max = this.settings.maxConsecutiveTimeouts ?? 3;
    let reason: string | undefined;
    if (this.assembler.buffered > 0) reason = 'a reply stopped arriving halfway';
    else if (this.reads === call.readsBefore) reason = `nothing arrived within ${this.settings.timeoutMs} ms`;
    else if (this.consecutiveTimeouts >= max) reason = `${this.consecutiveTimeouts} calls in a row timed out`;
    // The other calls on it keep their own deadlines (they end as TimeoutError, as this one did).
    if (reason !== undefined) this.drop(socket, `dropped as stuck: ${reason}`, false, false);
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
    this.stopWaiting?.(new ConnectionError(`The RPC store for ${this.target} was closed`));
    this.socket?.destroy();
    this.socket = undefined;
  }

  /** Connects, after waiting out the backoff when earlier attempts failed; calls meanwhile share it. */
  private connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    const wait = this.backoff.waitMs();
    this.connecting = wait > 0 ? this.waitBeforeConnecting(wait).then(() => this.open()) : this.open();
    return this.connecting;
  }

  /** Ends a wait for the next attempt early (on close). */
  private stopWaiting: ((error: Error) => void) | undefined;

  private waitBeforeConnecting(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stopWaiting = undefined;
        resolve();
      }, ms);
      if (this.settings.unref === true) timer.unref();
      this.stopWaiting = (error) => {
        clearTimeout(timer);
        this.stopWaiting = undefined;
        this.connecting = undefined;
        reject(error);
      };
    });
  }

  private open(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.closed) return reject(new ConnectionError(`The RPC store for ${this.target} is closed`));
      const socket: Socket = this.settings.tls ? this.openTls(this.settings.tls) : this.openPlain();
      this.connectingSocket = socket;
      socket.setNoDelay(true);
      // Probes find a peer that vanished without a FIN (a dead host, a dropped NAT entry).
      socket.setKeepAlive(true, this.settings.keepAliveMs ?? 5000);
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.connecting = undefined;
        this.connectingSocket = undefined;
        socket.destroy();
        if (!this.closed) {
          this.backoff.failed();
          this.reachability.failed({ reason: 'cannot connect', err: error });
        }
        reject(
          error instanceof TimeoutError || error instanceof ConnectionError
            ? error
            : new ConnectionError(`Cannot connect to the flag server at ${this.target}: ${error.message}`, {
                cause: error,
              }),
        );
      };
      const timer = startDeadline(this.settings.timeoutMs, `Connecting to ${this.target}`, fail);
      if (this.settings.unref === true) {
        timer.unref();
        socket.unref();
      }
      socket.once('error', fail);
      socket.once('close', () => fail(new ConnectionError(`The connection to ${this.target} closed while opening`)));
      socket.once(this.settings.tls ? 'secureConnect' : 'connect', () => {
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
  }

  private openPlain(): Socket {
    // Replies are read into one reused buffer (no stream machinery, no allocation per read): the
    // assembler consumes each read at once and copies only an incomplete message.
    const socket: Socket = connect({
      host: this.settings.host,
      port: this.settings.port,
      onread: { buffer: this.readBuffer, callback: (n: number, buf: Buffer) => this.read(socket, buf, n) },
    });
    return socket;
  }

  /** A TLS connection; the server's certificate is checked against `ca` and `servername` (or host). */
  private openTls(tls: RpcTlsOptions): TLSSocket {
    const socket = connectTls({
      host: this.settings.host,
      port: this.settings.port,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      servername: tls.servername,
      minVersion: tls.minVersion ?? 'TLSv1.2',
    });
    socket.on('data', (chunk: Buffer) => this.read(socket, chunk, chunk.length));
    return socket;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.generation++;
    this.assembler = this.newAssembler();
    this.consecutiveTimeouts = 0;
    this.reads = 0;
    this.answered = false;
    this.reachability.succeeded();
    socket.on('error', (error) => this.drop(socket, error.message));
    socket.on('close', () =>
      this.drop(
        socket,
        this.settings.tls && !this.answered
          ? 'the server closed the connection before answering (a server that asks for client certificates ' +
              'closes it right after the TLS handshake when it refuses ours: see its log)'
          : 'the server closed the connection',
      ),
    );
  }

  /** Takes `n` bytes the socket read into the shared read buffer. */
  private read(socket: Socket, buf: Buffer, n: number): boolean {
    if (this.socket !== socket) return false;
    if (this.reads++ === 0) {
      const check = checkTransport(buf.subarray(0, n), this.settings.transport, this.settings.protocol);
      if (check.verdict === 'other') {
        this.drop(socket, transportMismatchMessage(this.settings.transport, check.peerTransport, 'client'));
        return false;
      }
    }
    try {
      this.assembler.push(buf.subarray(0, n), this.onReply);
    } catch (error) {
      // Buffered transport: where an oversized reply ends is only known by reading all of it, so
      // its call fails with the typed error and the connection is dropped (framed ones are skipped).
      if (error instanceof ProtocolError && error.kind === 'too-large' && error.head) this.oversized(error.head);
      this.drop(socket, `the server sent bytes that are not a reply: ${(error as Error).message}`);
      return false;
    }
    return true;
  }

  /** Forgets a lost connection and fails the calls waiting on it; the next call reconnects. */
  private drop(socket: Socket, reason: string, failedAttempt = !this.answered, failCalls = true): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    socket.destroy();
    // Part of a reply held for a lost connection is never completed: let it go now.
    this.assembler.clear();
    if (this.closed) return;
    // A server that accepts and closes at once must not be reconnected to in a tight loop.
    if (failedAttempt) this.backoff.failed();
    this.reachability.failed({ reason: `connection lost: ${reason}` });
    if (failCalls)
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
    let call: PendingCall | undefined;
    try {
      const header = reader.readMessageBegin();
      this.answered = true;
      this.consecutiveTimeouts = 0;
      this.backoff.succeeded();
      call = this.pending.get(header.rseqid);
      if (call?.decoder && header.mtype === MessageType.REPLY) {
        if (call.decoder.stream) return this.stream(call, buf, start, end);
        if (call.cached(buf, reader.position, end)) return;
      }
      // Whatever the server sent, decoding it is bounded: in values (memory) and by the deadline.
      reader.limitWork(MAX_VALUES_PER_FLAG, call?.deadlineAt ?? Date.now() + this.settings.timeoutMs);
      const recv = this.client[`recv_${header.fname}`];
      if (typeof recv !== 'function') throw new Error(`a reply to unknown method ${JSON.stringify(header.fname)}`);
      recv.call(this.client, reader, header.mtype, header.rseqid);
    } catch (error) {
      this.undecodable(call, error, this.socket);
    }
  }

  /**
   * Reads a reply over several turns of the event loop (a `List`: one flag at a time, yielding), on
   * a copy of its bytes (the assembler reuses its buffer).
   */
  private stream(call: PendingCall, buf: Buffer, start: number, end: number): void {
    const socket = this.socket;
    const reader = new this.protocol.Reader(Buffer.from(buf.subarray(start, end)));
    reader.readMessageBegin();
    call.decoder!.stream!(reader, call).then(
      (value) => call.settleStreamed(value),
      (error: unknown) => (error instanceof ProtocolError ? this.undecodable(call, error, socket) : call.settle(error)),
    );
  }

  /**
   * A whole reply that could not be decoded. Past the decoding limits only its call fails (the
   * message was whole, so the stream is still in step); any other failure drops the connection it
   * came on (unless that one is gone already).
   */
  private undecodable(call: PendingCall | undefined, error: unknown, socket: Socket | undefined): void {
    const message = (error as Error)?.message ?? String(error);
    if (error instanceof ProtocolError && error.kind === 'too-much-work') {
      const overtime = /deadline/.test(message);
      call?.settle(
        overtime
          ? new TimeoutError(
              `${call.method} to ${this.target} did not finish within ${this.settings.timeoutMs} ms: ${message}`,
            )
          : new ConnectionError(`The flag server at ${this.target} sent a reply too large to decode: ${message}`),
      );
      return;
    }
    const reason = `a reply does not decode: ${message}`;
    call?.settle(new ConnectionError(`The flag server at ${this.target} sent ${reason}`));
    if (socket) this.drop(socket, reason);
  }

  private newAssembler(): MessageAssembler {
    return new MessageAssembler({
      transport: this.settings.transport,
      protocol: this.settings.protocol,
      maxMessageBytes: this.settings.maxMessageBytes,
      onOversized: (head, length) => this.oversized(head, length),
    });
  }

  /**
   * A reply over `maxMessageBytes`: its call (found by the seqid in the reply's header) fails with
   * `MessageTooLargeError` naming the limit. With the framed transport the reply is skipped and the
   * connection goes on serving the other calls.
   */
  private oversized(head: Buffer, length?: number): void {
    let header: MessageHeader;
    try {
      header = new this.protocol.Reader(head).readMessageBegin();
    } catch {
      return; // a header cut short: the call ends at its deadline
    }
    this.answered = true;
    const size = length === undefined ? 'over' : `${length} bytes, over`;
    this.pending
      .get(header.rseqid)
      ?.settle(
        new MessageTooLargeError(
          `The flag server's reply to ${header.fname} is ${size} the RPC store's ${this.settings.maxMessageBytes}-byte ` +
            `limit (maxMessageBytes)`,
        ),
      );
  }
}

/** Only what the wire carries of a write's context (`actor`, `reason`); null when it says neither. */
function declarable(context: WriteContext | undefined): WriteContext | null {
  if (context === undefined || (context.actor === undefined && context.reason === undefined)) return null;
  return { actor: context.actor, reason: context.reason };
}
