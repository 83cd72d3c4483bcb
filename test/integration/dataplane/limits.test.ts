// Every limit of the public API, tried just past its edge through a router:
// a clear 4xx with a JSON error, and nothing stored. The limits come from
// dataplane/protocol/limits.ts, the same constants the code enforces.
import { expect } from 'chai';
import {
  MAX_BATCH_KEYS, MAX_BODY_BYTES, MAX_KEY_BYTES, MAX_REQUEST_HEAD_BYTES, MAX_VALUE_BYTES,
} from '../../../dataplane/protocol/limits.js';
import { LocalCluster } from '../../support/cluster.js';
import { call, postJson, type Answer } from '../../support/http.js';
import { openSocket, parseRawAnswer, untilClosed } from '../../support/raw-http.js';

function expectJsonError(status: number, contentType: string | null | undefined, body: string, wanted: number, message: RegExp): void {
  expect(status, body.slice(0, 200)).to.equal(wanted);
  expect(contentType).to.match(/^application\/json/);
  expect((JSON.parse(body) as { error: string }).error).to.match(message);
}

const expectRefused = (answer: Answer, status: number, message: RegExp): void =>
  expectJsonError(answer.status, answer.headers.get('content-type'), answer.text, status, message);

const keysNamed = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

describe('limits of the public API (through a router)', function () {
  let cluster: LocalCluster;
  let base: string;

  before(async function () {
    cluster = await LocalCluster.start({ servers: 3 });
    base = cluster.client.url;
  });
  after(async () => cluster?.stop());

  /** Asserts that none of the keys holds a value. */
  async function expectNothingStored(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += MAX_BATCH_KEYS) {
      const answer = await postJson(`${base}/api/mget`, { keys: keys.slice(i, i + MAX_BATCH_KEYS) });
      const stored = Object.entries((answer.json() as { values: Record<string, string | null> }).values).filter(([, value]) => value !== null);
      expect(stored.map(([key]) => key), 'stored keys').to.be.empty;
    }
  }

  it(`refuses a key over ${MAX_KEY_BYTES} UTF-8 bytes, and stores no other entry of its batch`, async () => {
    const tooLong = 'é'.repeat(MAX_KEY_BYTES / 2 + 1);
    expectRefused(await call(`${base}/api/keys/${encodeURIComponent(tooLong)}`, { method: 'PUT', body: 'v' }), 400, /key is 252 bytes; the limit is 250/);
    const entries = [{ key: 'limit-key-ok', value: 'v' }, { key: tooLong, value: 'v' }];
    expectRefused(await postJson(`${base}/api/mset`, { entries }), 400, /key is 252 bytes/);
    await expectNothingStored(['limit-key-ok']);
  });

  it(`refuses a value over ${MAX_VALUE_BYTES} bytes with 413, by PUT, in the query and in mset`, async () => {
    const big = 'v'.repeat(MAX_VALUE_BYTES + 1);
    expectRefused(await call(`${base}/api/keys/limit-value-put`, { method: 'PUT', body: big }), 413, /limit/);
    expectRefused(await call(`${base}/api/post?key=limit-value-query&value=${big}`, { method: 'POST' }), 413, /value is 1048577 bytes/);
    expectRefused(await postJson(`${base}/api/mset`, { entries: [{ key: 'limit-value-mset', value: big }] }), 413, /value is 1048577 bytes/);
    await expectNothingStored(['limit-value-put', 'limit-value-query', 'limit-value-mset']);
  });

  it(`refuses a batch of more than ${MAX_BATCH_KEYS} keys, and stores none of it`, async () => {
    const keys = keysNamed('limit-batch', MAX_BATCH_KEYS + 1);
    expectRefused(await postJson(`${base}/api/mget`, { keys }), 400, /1001 items; the limit is 1000/);
    expectRefused(await postJson(`${base}/api/mset`, { entries: keys.map((key) => ({ key, value: 'v' })) }), 400, /1001 items; the limit is 1000/);
    await expectNothingStored(keys);
  });

  it(`takes a batch of exactly ${MAX_BATCH_KEYS} keys`, async () => {
    const keys = keysNamed('limit-batch-full', MAX_BATCH_KEYS);
    const answer = await postJson(`${base}/api/mset`, { entries: keys.map((key) => ({ key, value: 'v' })) });
    expect(answer.json()).to.deep.equal({ stored: MAX_BATCH_KEYS });
  });

  it(`refuses a body over ${MAX_BODY_BYTES} bytes with 413, though each value is within its limit, and stores none of it`, async () => {
    const value = 'v'.repeat(MAX_VALUE_BYTES);
    const keys = keysNamed('limit-body', Math.ceil(MAX_BODY_BYTES / MAX_VALUE_BYTES) + 1);
    expectRefused(await postJson(`${base}/api/mset`, { entries: keys.map((key) => ({ key, value })) }), 413, /request body is \d+ bytes; the limit is 8388608/);
    await expectNothingStored(keys);
  });

  it(`answers 431 with a JSON error to a request head over ${MAX_REQUEST_HEAD_BYTES} bytes, and stores nothing`, async () => {
    const socket = await openSocket(cluster.client.port);
    const closed = untilClosed(socket);
    socket.write(`POST /api/post?key=limit-head&value=${'v'.repeat(MAX_REQUEST_HEAD_BYTES)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const answer = parseRawAnswer((await closed).text);
    expectJsonError(answer.status, answer.contentType, answer.body, 431, /request head is too large/);
    await expectNothingStored(['limit-head']);
  });
});
