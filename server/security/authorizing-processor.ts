import { PermissionDeniedError } from '../../shared';
import type { Processor } from '../../shared/thrift/processor';
import { writeFlipperException } from '../../shared/thrift/replies/exception-replies';
import { MessageType, TType, type ProtocolReader } from '../../shared/thrift/wire';
import { mayWrite, writesAnything, type Access } from './access-policy';
import type { Caller } from './caller';
import type { KeyedRateLog } from './keyed-rate-log';

/**
 * Methods that change nothing. Every other method the service knows is a write, so a method added
 * later is refused to read-only callers until it is listed here.
 */
export const READ_METHODS: ReadonlySet<string> = new Set([
  'Get',
  'List',
  'ListPage',
  'GetSnapshot',
  'WaitForChanges',
  'History',
  // Changes no flag: it says who makes the connection's later writes, which are judged on their own.
  'SetWriteContext',
]);

/** What the gate needs besides the processor it guards. */
export interface Gate {
  caller: Caller;
  /** The caller's access now (the policy may be reloaded while the connection is open). */
  access(): Access;
  /** True for a method the service has (others go on to the processor, which answers UNKNOWN_METHOD). */
  knows(method: string): boolean;
  /** True on a `--read-only` listener: writes are refused whoever calls. */
  readOnlyListener: boolean;
  /** Where refusals are logged, once per caller per window. */
  refusals: KeyedRateLog;
}

/**
 * Answers PERMISSION_DENIED, before the handler sees the call (so nothing can be stored), to a read
 * by a caller without read access and to a write by a caller who may not write that flag. A write
 * is judged by its flag name (field 1 of every write method's arguments); a write without one is
 * allowed only to callers who may write every flag.
 */
export function withAuthorization(inner: Processor, gate: Gate): Processor {
  return {
    process(input, output): void {
      const header = input.readMessageBegin();
      input.rewind();
      if (header.mtype !== MessageType.CALL && header.mtype !== MessageType.ONEWAY) return inner.process(input, output);
      if (!gate.knows(header.fname)) return inner.process(input, output);
      const access = gate.access();
      const refusal = refusalOf(header.fname, gate, access, input);
      if (refusal === undefined) return inner.process(input, output);
      input.readMessageBegin();
      input.skip(TType.STRUCT);
      input.readMessageEnd();
      const message = `${header.fname} refused: ${refusal}`;
      gate.refusals.note(gate.caller.actor ?? gate.caller.remote, {
        remote: gate.caller.remote,
        identity: gate.caller.actor,
        method: header.fname,
        reason: message,
      });
      writeFlipperException(output, header.fname, header.rseqid, new PermissionDeniedError(message));
    },
  };
}

/** Why `method` is refused to `access`, or undefined when it is allowed. Leaves `input` rewound. */
function refusalOf(method: string, gate: Gate, access: Access, input: ProtocolReader): string | undefined {
  const identity = gate.caller.identity;
  const who = identity ? `the identity ${JSON.stringify(identity.name)}` : 'a caller without a client certificate';
  if (READ_METHODS.has(method)) return access.read ? undefined : `${who} may not read flags (--authz policy)`;
  if (gate.readOnlyListener) return 'this listener is read-only (--read-only); write through the admin listener';
  if (access.write === 'all') return undefined;
  if (!writesAnything(access)) return `${who} may only read flags (--authz policy)`;
  const flag = peekFlagName(input);
  if (flag === undefined) return `${who} may write only some flags, and this call names none`;
  if (mayWrite(access, flag)) return undefined;
  return `${who} may not write the flag ${JSON.stringify(flag.slice(0, 300))} (--authz policy)`;
}

/** Field 1 of the call's arguments when it is a string (the flag name of every write); rewinds after. */
function peekFlagName(input: ProtocolReader): string | undefined {
  let name: string | undefined;
  try {
    input.readMessageBegin();
    input.readStructBegin();
    for (;;) {
      const { ftype, fid } = input.readFieldBegin();
      if (ftype === TType.STOP) break;
      if (fid === 1 && ftype === TType.STRING) {
        name = input.readString();
        break;
      }
      input.skip(ftype);
      input.readFieldEnd();
    }
  } catch {
    // Arguments that do not decode: judged as naming no flag (refused); the processor never sees them.
    name = undefined;
  }
  input.rewind();
  return name;
}
