import { expect } from 'chai';
import { parseRedisCsv, requestsFor } from '../../../hack/bench/redis.js';

describe('bench redis-benchmark CSV', () => {
  it('reads rps, p50 and p99 from Redis 7 CSV', () => {
    const csv = [
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
      '"SET","87108.02","0.229","0.064","0.207","0.375","0.535","2.647"',
      '"GET","77160.49","0.231","0.056","0.223","0.335","0.503","0.903"',
    ].join('\n');
    expect(parseRedisCsv(csv)).to.deep.equal([
      { op: 'SET', opsPerSecond: 87108.02, p50Ms: 0.207, p99Ms: 0.535 },
      { op: 'GET', opsPerSecond: 77160.49, p50Ms: 0.223, p99Ms: 0.503 },
    ]);
  });

  it('leaves the percentiles null where an older redis-benchmark prints only rates', () => {
    expect(parseRedisCsv('"SET","50000.00"\n"GET","60000.00"\n')).to.deep.equal([
      { op: 'SET', opsPerSecond: 50000, p50Ms: null, p99Ms: null },
      { op: 'GET', opsPerSecond: 60000, p50Ms: null, p99Ms: null },
    ]);
  });

  it('refuses output without both rates', () => {
    expect(() => parseRedisCsv('"PING_INLINE","1.0"\n')).to.throw(/no GET and SET/);
    expect(() => parseRedisCsv('"SET","fast"\n"GET","1"')).to.throw(/unreadable/);
  });

  it('sizes a run to last the wrk duration, with a floor', () => {
    expect(requestsFor(5, 80_000)).to.equal(400_000);
    expect(requestsFor(1, 2_000)).to.equal(10_000);
  });
});
