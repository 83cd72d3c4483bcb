// The smart client's one mapping from the routing core's failures to its
// typed errors (client/src/errors.ts): one class per kind, as a router maps
// the same failures to one status each.
import { expect } from 'chai';
import {
  AuthError, BadInputError, ClosedError, ServerError, TooLargeError, UnavailableError,
} from '../../../client/src/index.js';
import { toClientError } from '../../../client/src/errors.js';
import {
  BadRequestError, EntryTooLargeError, OwnerRefusedError, PayloadTooLargeError, ServiceUnavailableError,
} from '../../../dataplane/protocol/errors.js';
import { UpstreamError } from '../../../dataplane/transport/server-channel.js';

describe('smart client errors', () => {
  const refusedToken = new UpstreamError('127.0.0.1:8080', 'answered 401: cluster token refused', 401);
  const unreachable = new UpstreamError('127.0.0.1:8080', 'connect ECONNREFUSED');

  const table: Array<[string, unknown, Function, string]> = [
    ['a bad key', new BadRequestError('key must not be empty'), BadInputError, 'bad-input'],
    ['a value over the limit', new PayloadTooLargeError('value is 1048577 bytes; the limit is 1048576'), TooLargeError, 'too-large'],
    ['an entry too large for a store, met in process', new EntryTooLargeError(2000, 1000), TooLargeError, 'too-large'],
    ['an owner refusing an entry as too large', new OwnerRefusedError(413, 'entry of 2000 bytes exceeds the store\'s 1000-byte bound'), TooLargeError, 'too-large'],
    ['an owner refusing an op as malformed', new OwnerRefusedError(400, 'ops[0].key must be a string'), BadInputError, 'bad-input'],
    ['an owner failing otherwise', new OwnerRefusedError(500, 'internal error'), ServerError, 'server'],
    ['no owner reachable', new ServiceUnavailableError('no owner of the key answered (connect ECONNREFUSED)', 1, { cause: unreachable }), UnavailableError, 'unavailable'],
    ['no server in the ring', new ServiceUnavailableError('no cache server is available', 1), UnavailableError, 'unavailable'],
    ['every owner refusing the cluster token', new ServiceUnavailableError('no owner of the key could store the write', 1, { cause: refusedToken }), AuthError, 'auth'],
    ['a failure no one expected', new TypeError('x is undefined'), ServerError, 'server'],
  ];
  for (const [what, failure, kind, name] of table) {
    it(`reports ${what} as ${kind.name} (${name})`, () => {
      const error = toClientError(failure);
      expect(error).to.be.instanceOf(kind);
      expect(error.kind).to.equal(name);
      expect(error.name).to.equal(kind.name);
      expect(error.retryable).to.equal(name === 'unavailable');
    });
  }

  it('keeps the message a router would answer with, and the failure as its cause', () => {
    const failure = new BadRequestError('ttl must be a whole number of seconds from 1 to 31536000');
    const error = toClientError(failure);
    expect(error.message).to.equal(failure.message);
    expect(error.cause).to.equal(failure);
  });

  it('tells a caller how long to wait after UnavailableError, from the router\'s Retry-After', () => {
    const error = toClientError(new ServiceUnavailableError('the write lost to newer writes of the same key 5 times in a row; retry it', 1));
    expect(error).to.be.instanceOf(UnavailableError);
    expect((error as UnavailableError).retryAfterMs).to.equal(1000);
  });

  it('passes its own errors through unchanged', () => {
    const closed = new ClosedError();
    expect(toClientError(closed)).to.equal(closed);
  });
});
