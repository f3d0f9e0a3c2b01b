import { expect } from 'chai';
import { ConnectionError } from '../client';
import { errorSerializers } from '../client/log-serializers';

describe("the library's pino error serializer", function () {
  it('writes the cause as its own object instead of appending its words to the message again', function () {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = new ConnectionError('Redis GET failed: connect ECONNREFUSED 127.0.0.1:1', { cause });
    const line = errorSerializers.err(error) as unknown as {
      message: string;
      cause: { message: string; code: string };
    };
    expect(line.message).to.equal('Redis GET failed: connect ECONNREFUSED 127.0.0.1:1');
    expect(line.cause).to.include({ message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED' });
  });
});
