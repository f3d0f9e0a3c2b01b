import { startDeadline } from '../calls/deadline';
import type { StreamControl } from './stream-control';
import type { ReplyDecoder } from './reply-cache';
import { sentCallFailure, type RpcMethod } from './rpc-caller';
import type { WriteContext } from '../../shared/model/history';

/** What a call needs of its connection. */
export interface CallOwner {
  /** Deadline of each call, in ms. */
  readonly timeoutMs: number;
  /** `host:port`, for messages. */
  readonly target: string;
  /** Forgets a settled call's seqid. */
  forget(seqid: number): void;
  /** True when the connection must not keep the process alive (its calls' deadlines neither). */
  readonly unref?: boolean;
  /** Told after a call passed its deadline, so the connection can judge whether it is stuck. */
  timedOut(call: PendingCall): void;
}

/** One call in flight: its deadline, its seqid once sent, and how its reply becomes a value. */
export class PendingCall implements StreamControl {
  done = false;
  /** When the deadline passes (ms since the epoch): decoding the reply stops then too. */
  readonly deadlineAt: number;
  seqid = -1;
  /** When the call was written (ms since epoch), 0 before. */
  sentAt = 0;
  /** Which of its owner's connections it was written on. */
  sentOn = 0;
  /** How many reads that connection had done when the call was written. */
  readsBefore = 0;
  /**
   * For a write: the `{ actor, reason }` it is made with (`null`: none), declared on the connection
   * before it is sent when the connection's differs. Undefined for other calls.
   */
  declaredContext: WriteContext | null | undefined = undefined;
  /** The reply's bytes, kept to cache what they decode to. */
  private replyBytes: Buffer | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly connection: CallOwner,
    readonly method: RpcMethod,
    readonly args: unknown[],
    readonly decoder: ReplyDecoder | undefined,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
    timeoutMs = connection.timeoutMs,
  ) {
    this.deadlineAt = Date.now() + connection.timeoutMs;
    this.timer = startDeadline(
      timeoutMs,
      () => `${method} to ${connection.target}`,
      (error) => {
        this.settle(error);
        connection.timedOut(this);
      },
    );
    if (connection.unref === true) this.timer.unref();
  }

  /** The call ended (settled some other way): a reply still being read is dropped. */
  get abandoned(): boolean {
    return this.done;
  }

  /** True when the reply in `buf[start, end)` is byte for byte one decoded before: then it is settled with that. */
  cached(buf: Buffer, start: number, end: number): boolean {
    const decoder = this.decoder!;
    if (decoder.cache === undefined || decoder.key === undefined) return false;
    const value = decoder.cache.lookup(decoder.key, buf, start, end);
    if (value === undefined) {
      this.replyBytes = Buffer.from(buf.subarray(start, end));
      return false;
    }
    this.finish();
    this.resolve(value);
    return true;
  }

  /** The generated client's callback, and every other way a call ends. Settles once. */
  readonly settle = (error: unknown, value?: unknown): void => {
    if (this.done) return;
    const sent = this.seqid >= 0;
    this.finish();
    if (error !== null && error !== undefined) return this.reject(sent ? sentCallFailure(this.method, error) : error);
    if (this.decoder === undefined) return this.resolve(value);
    let decoded: unknown;
    try {
      decoded = this.decoder.decode(value);
    } catch (decodeError) {
      return this.reject(decodeError);
    }
    if (this.replyBytes) this.decoder.cache?.remember(this.decoder.key!, this.replyBytes, decoded);
    this.resolve(decoded);
  };

  /** Settles with a value read by the decoder's `stream` (final: not decoded again). */
  settleStreamed(value: unknown): void {
    if (this.done) return;
    this.finish();
    this.resolve(value);
  }

  private finish(): void {
    this.done = true;
    clearTimeout(this.timer);
    if (this.seqid >= 0) this.connection.forget(this.seqid);
  }
}
