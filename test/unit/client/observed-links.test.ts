// The smart client looks at the ring again as soon as an owner refuses or
// does not answer, at most once per MIN_REFRESH_GAP_MS (client/src/observed-links.ts).
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { MIN_REFRESH_GAP_MS, ObservedLinks, refreshDue } from '../../../client/src/observed-links.js';
import type { BatchOp, BatchResult } from '../../../dataplane/protocol/internal-batch.js';
import type { ServerLinks } from '../../../dataplane/transport/server-channels.js';

/** Servers that answer from a table: an address maps to a result, or to a failure. */
function servers(answers: Record<string, BatchResult | Error>): ServerLinks {
  return {
    get: (address) => ({
      send: async (_op: BatchOp) => {
        const answer = answers[address];
        if (answer === undefined || answer instanceof Error) throw answer ?? new Error('no such server');
        return answer;
      },
    }),
  };
}

describe('smart client: refreshing the ring on an owner\'s trouble', () => {
  it('is due once the gap has passed', () => {
    expect(refreshDue(-Infinity, 0)).to.equal(true);
    expect(refreshDue(1000, 1000 + MIN_REFRESH_GAP_MS - 1)).to.equal(false);
    expect(refreshDue(1000, 1000 + MIN_REFRESH_GAP_MS)).to.equal(true);
  });

  it('refreshes when an owner fails or says it is leaving, not when it answers, and passes every answer on', async () => {
    let refreshes = 0;
    const links = new ObservedLinks(servers({
      healthy: { found: false }, leaving: { refused: 'leaving' }, dead: new Error('connect ECONNREFUSED'),
    }), () => refreshes++);
    const get: BatchOp = { op: 'get', key: 'k' };

    expect(await links.get('healthy').send(get)).to.deep.equal({ found: false });
    expect(refreshes).to.equal(0);
    expect(await links.get('leaving').send(get)).to.deep.equal({ refused: 'leaving' });
    expect(refreshes).to.equal(1);
    let failure: unknown;
    await links.get('dead').send(get).catch((error: unknown) => (failure = error));
    expect((failure as Error).message).to.equal('connect ECONNREFUSED');
    expect(refreshes, 'within the gap: no second refresh').to.equal(1);
    await sleep(MIN_REFRESH_GAP_MS + 10);
    await links.get('dead').send(get).catch(() => undefined);
    expect(refreshes).to.equal(2);
    expect(links.refreshCount).to.equal(2);
  });
});
