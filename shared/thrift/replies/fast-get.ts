import { MessageType, TType, type ProtocolReader, type ProtocolWriter } from '../wire';
import type { Processor, Result } from '../processor';

/** What `withFastGet` needs of the handler. */
export interface GetHandler {
  Get(feature_name: unknown, result: Result<object>): void;
}

/**
 * Answers `Get` calls itself and hands every other message to the generated processor. The
 * generated one copies the reply item deep before encoding it field by field, which is most of
 * what a `Get` costs the server; the handler's item struct encodes once and is copied after that
 * (see `memoizeWrite`). The call is read and the reply written exactly as the generated code does.
 */
export function withFastGet(generated: Processor, handler: GetHandler): Processor {
  return {
    process(input: ProtocolReader, output: ProtocolWriter): void {
      const header = input.readMessageBegin();
      if (header.fname !== 'Get' || header.mtype !== MessageType.CALL) {
        input.rewind();
        generated.process(input, output);
        return;
      }
      const featureName = readGetArgs(input);
      input.readMessageEnd();
      const seqid = header.rseqid;
      handler.Get(featureName, (error, item) => {
        output.writeMessageBegin('Get', MessageType.REPLY, seqid);
        output.writeStructBegin('FeatureFlagStore_Get_result');
        // Field 0 is the item, field 1 the FlipperException (the handler only answers with those).
        const [id, value] = error !== null ? [1, error] : [0, item];
        output.writeFieldBegin(id === 0 ? 'success' : 'error', TType.STRUCT, id);
        (value as { write(out: ProtocolWriter): void }).write(output);
        output.writeFieldEnd();
        output.writeFieldStop();
        output.writeStructEnd();
        output.writeMessageEnd();
        output.flush();
      });
    },
  };
}

/** `FeatureFlagStore_Get_args`: field 1 is the name; null when absent, as the generated reader leaves it. */
function readGetArgs(input: ProtocolReader): string | null {
  let featureName: string | null = null;
  input.readStructBegin();
  for (;;) {
    const { ftype, fid } = input.readFieldBegin();
    if (ftype === TType.STOP) break;
    if (fid === 1 && ftype === TType.STRING) featureName = input.readString();
    else input.skip(ftype);
    input.readFieldEnd();
  }
  input.readStructEnd();
  return featureName;
}
