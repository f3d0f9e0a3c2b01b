import { startDeadline } from '../calls/deadline';
import type { ReplyDecoder } from './reply-cache';
import { fitArguments, sentCallFailure, type GeneratedClient, type RpcCaller, type RpcMethod } from './rpc-caller';

/**
 * Calls through a generated client the application made and owns (its own connection and
 * transport). Each call still gets a deadline: npm thrift's client has none, and a lost
 * connection can leave its callbacks waiting for ever.
 */
export class GeneratedClientCaller implements RpcCaller {
  constructor(
    private readonly client: GeneratedClient,
    private readonly timeoutMs: number,
  ) {}

  call(method: RpcMethod, args: unknown[], decoder?: ReplyDecoder, timeoutMs = this.timeoutMs): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let done = false;
      // The generated client writes the call at once: past its deadline, a write may have been applied.
      const timer = startDeadline(timeoutMs, method, (error) => {
        done = true;
        reject(sentCallFailure(method, error));
      });
      const callback = (error: unknown, value: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (error !== null && error !== undefined) reject(error);
        else if (decoder === undefined) resolve(value);
        else {
          try {
            resolve(decoder.decode(value));
          } catch (decodeError) {
            reject(decodeError);
          }
        }
      };
      try {
        const send = this.client[method];
        if (send === undefined)
          throw new TypeError(`The generated client has no ${method} (generated from an older IDL)`);
        send.call(this.client, ...fitArguments(send, args), callback);
      } catch (error) {
        callback(error, undefined);
      }
    });
  }

  /** The client is the application's: it closes its own connection. */
  async close(): Promise<void> {}
}
