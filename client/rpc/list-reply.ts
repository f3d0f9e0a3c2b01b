import { thriftTypes, type ThriftItem } from '../../shared/thrift/mapping';
import { ProtocolError, TType, type ProtocolReader } from '../../shared/thrift/wire';

import type { StreamControl } from './stream-control';

export type { StreamControl } from './stream-control';

/** A generated struct reads itself (the generated declarations leave `read` out). */
type Readable = { read(reader: ProtocolReader): void };

/** Values one flag of a reply may hold (fields, conditions, checks, strings): far above any real flag. */
export const MAX_VALUES_PER_FLAG = 1_000_000;

/** Decoding runs this long at most before letting the event loop run other work. */
const SLICE_MS = 8;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One `ListPage` reply, its flags already converted. */
export interface ListedPage<T> {
  items: T[];
  next_cursor?: string | null;
}

/**
 * Reads a `List` reply's result struct (after its message header) flag by flag, handing each to
 * `convert` at once, so only what `convert` keeps stays in memory (a list of millions of empty
 * structs keeps nothing). Every 8 ms it yields to the event loop (other calls' replies and timers
 * run meanwhile, the call's own deadline included), and it stops at `control.deadlineAt` with
 * `ProtocolError` of kind `too-much-work`; each flag is bounded to `MAX_VALUES_PER_FLAG` values.
 * Rejects with the server's `FlipperException` when the reply carries one. Resolves undefined
 * when the call ended meanwhile.
 */
export function readListReply<T>(
  reader: ProtocolReader,
  control: StreamControl,
  convert: (raw: ThriftItem) => T | undefined,
): Promise<T[] | undefined> {
  return readResult(reader, control, TType.LIST, () => readItems(reader, control, convert, 'List'));
}

/** The same for a `ListPage` reply: its page struct's flags read one by one, and its cursor. */
export function readListPageReply<T>(
  reader: ProtocolReader,
  control: StreamControl,
  convert: (raw: ThriftItem) => T | undefined,
): Promise<ListedPage<T> | undefined> {
  return readResult(reader, control, TType.STRUCT, async () => {
    const page: ListedPage<T> = { items: [] };
    reader.readStructBegin();
    for (;;) {
      const { ftype, fid } = reader.readFieldBegin();
      if (ftype === TType.STOP) break;
      if (fid === 1 && ftype === TType.LIST) {
        const items = await readItems(reader, control, convert, 'ListPage');
        if (items === undefined) return undefined;
        page.items = items;
      } else if (fid === 2 && ftype === TType.STRING) {
        page.next_cursor = reader.readString();
      } else {
        reader.skip(ftype);
      }
      reader.readFieldEnd();
    }
    reader.readStructEnd();
    return page;
  });
}

/** A result struct: field 0 of `successType` read by `success`, field 1 the server's exception. */
async function readResult<R>(
  reader: ProtocolReader,
  control: StreamControl,
  successType: number,
  success: () => Promise<R | undefined>,
): Promise<R | undefined> {
  const t = thriftTypes();
  let result: R | undefined;
  let answered = false;
  let exception: unknown;
  reader.limitWork(MAX_VALUES_PER_FLAG, control.deadlineAt);
  reader.readStructBegin();
  for (;;) {
    const { ftype, fid } = reader.readFieldBegin();
    if (ftype === TType.STOP) break;
    if (fid === 0 && ftype === successType) {
      result = await success();
      if (result === undefined) return undefined;
      answered = true;
      reader.limitWork(MAX_VALUES_PER_FLAG, control.deadlineAt);
    } else if (fid === 1 && ftype === TType.STRUCT) {
      const error = new t.FlipperException();
      (error as unknown as Readable).read(reader);
      exception = error;
    } else {
      reader.skip(ftype);
    }
    reader.readFieldEnd();
  }
  reader.readStructEnd();
  if (exception !== undefined) throw exception;
  if (!answered) throw new ProtocolError('invalid', 'a reply with neither a result nor an error');
  return result;
}

/** A list of flags, read and converted one at a time, yielding every `SLICE_MS`; undefined when abandoned. */
async function readItems<T>(
  reader: ProtocolReader,
  control: StreamControl,
  convert: (raw: ThriftItem) => T | undefined,
  method: string,
): Promise<T[] | undefined> {
  const t = thriftTypes();
  const { etype, size } = reader.readListBegin();
  if (size > 0 && etype !== TType.STRUCT)
    throw new ProtocolError('invalid', `a ${method} reply of type ${etype}, not structs`);
  const items: T[] = [];
  let sliceStart = Date.now();
  for (let i = 0; i < size; i++) {
    reader.limitWork(MAX_VALUES_PER_FLAG, control.deadlineAt);
    const raw = new t.FeatureFlagStoreItem();
    (raw as unknown as Readable).read(reader);
    const item = convert(raw);
    if (item !== undefined) items.push(item);
    if ((i & 0xff) !== 0xff) continue;
    const now = Date.now();
    if (now > control.deadlineAt) {
      throw new ProtocolError(
        'too-much-work',
        `decoding a ${method} reply outlasted its deadline (${i + 1} of ${size} flags read)`,
      );
    }
    if (now - sliceStart < SLICE_MS) continue;
    await yieldToEventLoop();
    if (control.abandoned) return undefined;
    sliceStart = Date.now();
  }
  return items;
}
