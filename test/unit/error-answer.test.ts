// One answer per failure (dataplane/http/error-answer.ts and
// protocol/errors.ts): each error class has one status, whichever dispatcher
// or role meets it.
import { expect } from 'chai';
import { errorAnswer } from '../../dataplane/http/error-answer.js';
import type { Logger } from '../../dataplane/observability/logger.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { DataplaneMetrics } from '../../dataplane/observability/metrics.js';
import {
  BadRequestError, EntryTooLargeError, KeyNotFoundError, MethodNotAllowedError, OwnerRefusedError, PayloadTooLargeError,
  RouteNotFoundError, ServiceUnavailableError, UnsupportedMediaTypeError,
} from '../../dataplane/protocol/errors.js';
import type { BatchResult } from '../../dataplane/protocol/internal-batch.js';
import { RingView } from '../../dataplane/ring/ring-view.js';
import { RouterBackend } from '../../dataplane/router/router-backend.js';
import { applyBatch } from '../../dataplane/server/apply-batch.js';
import { LocalBackend } from '../../dataplane/server/local-backend.js';
import { VersionedStore } from '../../dataplane/store/versioned-store.js';
import { HybridLogicalClock } from '../../dataplane/version/hlc.js';
import { members } from '../support/members.js';

/** A logger that remembers what it was asked to log as an error. */
function recordingLogger(): { logger: Logger; errors: unknown[] } {
  const errors: unknown[] = [];
  return { logger: { error: (fields: unknown) => errors.push(fields) } as unknown as Logger, errors };
}

const request = { method: 'GET', path: '/api/get/k' };

describe('error answers', () => {
  // the error, its status, extra headers
  const table: Array<[Error, number, Record<string, string>]> = [
    [new BadRequestError('bad key'), 400, {}],
    [new KeyNotFoundError('k'), 404, {}],
    [new RouteNotFoundError('no route'), 404, {}],
    [new MethodNotAllowedError('not here'), 405, {}],
    [new MethodNotAllowedError('not here', 'POST'), 405, { Allow: 'POST' }],
    [new PayloadTooLargeError('value is too large'), 413, {}],
    [new EntryTooLargeError(2000, 1000), 413, {}],
    [new UnsupportedMediaTypeError('not JSON'), 415, {}],
    [new ServiceUnavailableError('no server', 1), 503, { 'Retry-After': '1' }],
    [new OwnerRefusedError(413, 'too large for that server'), 413, {}],
  ];
  for (const [error, status, headers] of table) {
    const extra = Object.keys(headers).map((name) => `, ${name}`).join('');
    it(`answers ${error.constructor.name} with ${status}${extra} and its message`, () => {
      const { logger, errors } = recordingLogger();
      expect(errorAnswer(error, logger, request)).to.deep.equal({ status, headers, body: { error: error.message } });
      expect(errors, 'a typed error is an answer, not a fault').to.deep.equal([]);
    });
  }

  it('answers an http-error Koa or Node exposes with its status and message', () => {
    const malformed = Object.assign(new Error('Bad Request'), { status: 400, expose: true });
    expect(errorAnswer(malformed, recordingLogger().logger, request)).to.deep.equal({ status: 400, headers: {}, body: { error: 'Bad Request' } });
  });

  it('answers anything else with a bare 500 and logs it with the request, never showing the stack', () => {
    const { logger, errors } = recordingLogger();
    const bug = new Error('secret internals');
    const answer = errorAnswer(bug, logger, request);
    expect(answer).to.deep.equal({ status: 500, headers: {}, body: { error: 'internal error' } });
    expect(JSON.stringify(answer)).not.to.include('secret');
    expect(errors).to.deep.equal([{ err: bug, ...request }]);
    const unexposed = Object.assign(new Error('Not Implemented'), { status: 501, expose: false });
    expect(errorAnswer(unexposed, logger, request).status).to.equal(500);
  });

  describe('an entry too large for the store is 413 everywhere', () => {
    const tinyStore = (): VersionedStore => new VersionedStore({ maxBytes: 1000 });
    const big = 'x'.repeat(2000);

    it("in a server's own API", async () => {
      const backend = new LocalBackend(tinyStore(), new HybridLogicalClock('s'), new DataplaneMetrics('server'), () => new RingView(2).describe(), () => true);
      const error = await backend.setMany([{ key: 'k', value: big, ttlSeconds: undefined }]).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(EntryTooLargeError);
      expect((error as EntryTooLargeError).status).to.equal(413);
    });

    it('in the internal batch, and through a router that passes the status on', async () => {
      const store = tinyStore();
      const send = async (op: Parameters<typeof applyBatch>[1][number]): Promise<BatchResult> => applyBatch(store, [op], { hits: 0, misses: 0 })[0] as BatchResult;
      const view = new RingView(1);
      view.update(members('s'), 0);
      const router = new RouterBackend(view, { get: () => ({ send }) }, new HybridLogicalClock('r'), new DataplaneMetrics('client'), createLogger('silent', {}));
      const error = await router.setMany([{ key: 'k', value: big, ttlSeconds: undefined }]).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(OwnerRefusedError);
      expect((error as OwnerRefusedError).status).to.equal(413);
      expect((error as OwnerRefusedError).message).to.match(/exceeds the store's 1000-byte bound/);
    });
  });
});
