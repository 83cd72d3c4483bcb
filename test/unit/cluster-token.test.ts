import { expect } from 'chai';
import {
  acceptedDigests,
  judgeToken,
  MIN_TOKEN_LENGTH,
  parseTokenFile,
  tokenDigest,
  tokenProblem,
} from '../../dataplane/security/cluster-token.js';

const CURRENT = 'current-token-0123456789abcdef';
const PREVIOUS = 'previous-token-0123456789abcdef';

describe('the cluster token check', () => {
  const onlyCurrent = acceptedDigests({ current: CURRENT });
  const rotating = acceptedDigests({ current: CURRENT, previous: PREVIOUS });

  it('calls a request without a token missing', () => {
    expect(judgeToken(undefined, onlyCurrent)).to.equal('missing');
    expect(judgeToken('', onlyCurrent)).to.equal('missing');
  });

  it('accepts the right token and refuses a wrong one', () => {
    expect(judgeToken(CURRENT, onlyCurrent)).to.equal('accepted');
    expect(judgeToken('another-token-0123456789abcdef', onlyCurrent)).to.equal('wrong');
    expect(judgeToken(['a', 'b'], onlyCurrent), 'a repeated header').to.equal('wrong');
  });

  it('refuses a prefix, an extension and a change of case of the right token', () => {
    for (const near of [CURRENT.slice(0, -1), `${CURRENT}x`, CURRENT.toUpperCase(), ` ${CURRENT}`]) {
      expect(judgeToken(near, onlyCurrent), near).to.equal('wrong');
    }
  });

  it('accepts both the current and the previous token during a rotation, and nothing else', () => {
    expect(judgeToken(CURRENT, rotating)).to.equal('accepted');
    expect(judgeToken(PREVIOUS, rotating)).to.equal('accepted');
    expect(judgeToken('neither-token-0123456789abcdef', rotating)).to.equal('wrong');
    expect(judgeToken(PREVIOUS, onlyCurrent), 'once the previous token is dropped').to.equal('wrong');
  });

  it('compares equal-length digests, whatever the lengths of the tokens (constant time)', () => {
    // timingSafeEqual throws on buffers of different lengths; digests never differ in length.
    for (const token of ['x', CURRENT, 'y'.repeat(10_000), 'é'.repeat(40)]) {
      expect(tokenDigest(token)).to.have.length(32);
      expect(() => judgeToken(token, rotating)).not.to.throw();
    }
    expect(rotating.map((d) => d.length)).to.deep.equal([32, 32]);
  });
});

describe('the cluster token setting', () => {
  it('refuses short tokens and tokens with spaces, without quoting them', () => {
    expect(tokenProblem('short')).to.equal(`must be at least ${MIN_TOKEN_LENGTH} characters`);
    expect(tokenProblem('has a space in it, long enough')).to.equal('must be printable ASCII without spaces');
    expect(tokenProblem(CURRENT)).to.equal(undefined);
  });

  it('reads a token file: the current token, then an optional previous one', () => {
    expect(parseTokenFile(`${CURRENT}\n`)).to.deep.equal({ current: CURRENT, previous: undefined });
    expect(parseTokenFile(`  ${CURRENT}  \r\n\n${PREVIOUS}\n`)).to.deep.equal({ current: CURRENT, previous: PREVIOUS });
  });

  it('says what is wrong with a token file it cannot use', () => {
    expect(parseTokenFile('\n \n')).to.deep.equal({ problem: 'the file holds no token' });
    expect(parseTokenFile(`${CURRENT}\n${PREVIOUS}\nthird-token-0123456789abcdef`)).to.deep.equal({
      problem: 'the file holds more than two tokens (current, then previous)',
    });
    expect(parseTokenFile(`${CURRENT}\nshort`)).to.deep.equal({ problem: `the previous token must be at least ${MIN_TOKEN_LENGTH} characters` });
  });
});
