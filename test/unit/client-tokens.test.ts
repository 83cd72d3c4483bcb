import { expect } from 'chai';
import { bearerToken, judgeBearer, MAX_CLIENT_TOKENS, OPEN_PATHS, parseClientTokens } from '../../dataplane/security/client-tokens.js';
import { tokenDigest } from '../../dataplane/security/cluster-token.js';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef';

const digests = (text: string): Buffer[] => {
  const parsed = parseClientTokens(text);
  if (!Array.isArray(parsed)) throw new Error(parsed.problem);
  return parsed;
};

describe('client tokens', () => {
  it('reads one token per line, skipping blank lines, spaces and # comments', () => {
    expect(digests(`# shop\n${ALICE}\n\n  ${BOB}  \n`)).to.deep.equal([tokenDigest(ALICE), tokenDigest(BOB)]);
  });

  it('refuses an empty file, a short or spaced token (naming the line, not the token), and too many tokens', () => {
    expect(parseClientTokens('# nothing\n\n')).to.deep.equal({ problem: 'the file holds no token' });
    const short = parseClientTokens(`${ALICE}\nshort\n`);
    expect(short).to.have.property('problem').that.matches(/line 2 must be at least 16/).and.not.include('short');
    expect(parseClientTokens(`${ALICE} ${BOB}`)).to.have.property('problem').that.matches(/line 1 must be printable/);
    const many = Array.from({ length: MAX_CLIENT_TOKENS + 1 }, (_, i) => `${ALICE}-${i}`).join('\n');
    expect(parseClientTokens(many)).to.have.property('problem').that.matches(/more than 256/);
  });

  it('takes the token from `Authorization: Bearer`, in any case of the scheme, and nothing from another scheme', () => {
    expect(bearerToken(`Bearer ${ALICE}`)).to.equal(ALICE);
    expect(bearerToken(`bearer  ${ALICE} `)).to.equal(ALICE);
    for (const header of [undefined, '', `Basic ${ALICE}`, 'Bearer', 'Bearer ', `Bearer ${ALICE} extra`]) expect(bearerToken(header), String(header)).to.equal('');
  });

  it('accepts any listed token, and calls the rest missing or wrong, comparing digests as the cluster token does', () => {
    const accepted = digests(`${ALICE}\n${BOB}\n`);
    expect(judgeBearer(`Bearer ${ALICE}`, accepted)).to.equal('accepted');
    expect(judgeBearer(`Bearer ${BOB}`, accepted)).to.equal('accepted');
    expect(judgeBearer(undefined, accepted)).to.equal('missing');
    expect(judgeBearer('', accepted)).to.equal('missing');
    for (const near of [ALICE.slice(0, -1), `${ALICE}x`, ALICE.toUpperCase(), 'another-token-0123456789']) {
      expect(judgeBearer(`Bearer ${near}`, accepted), near).to.equal('wrong');
    }
    expect(judgeBearer(`Basic ${ALICE}`, accepted), 'another scheme').to.equal('wrong');
  });

  it('leaves only the probes and the scrape open', () => {
    expect([...OPEN_PATHS].sort()).to.deep.equal(['/healthz', '/metrics', '/readyz']);
  });
});
