import { startDeadline } from '../calls/deadline';
import type { ReplyDecoder } from './reply-cache';
import type { GeneratedClient, RpcCaller, RpcMethod } from './rpc-caller';

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

  call(method: RpcMethod, args: unknown[], decoder?: ReplyDecoder): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = startDeadline(this.timeoutMs, method, (error) => {
        done = true;
        reject(error);
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
        this.client[method](...args, callback);
      } catch (error) {
        callback(error, undefined);
      }
    });
  }

  /** The client is the application's: it closes its own connection. */
  async close(): Promise<void> {}
}
