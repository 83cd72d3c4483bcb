// The router's certificate checks and its reload decision (security/tls-pair.ts),
// over real certificates that openssl makes for the run.
import { expect } from 'chai';
import {
  checkTlsPair,
  contentsDigest,
  initialReloadState,
  isTlsProblem,
  judgeTlsReload,
  type TlsPair,
  type TlsPairProblem,
  type TlsReloadState,
} from '../../dataplane/security/tls-pair.js';
import { issueCertificate, makeTestCa, type PemPair } from '../support/tls-files.js';

const pairOf = (checked: TlsPair | TlsPairProblem): TlsPair => {
  if (isTlsProblem(checked)) throw new Error(`expected a pair, got: ${checked.problem}`);
  return checked;
};

describe('TLS pair', () => {
  let a: PemPair;
  let b: PemPair;

  before(async function () {
    this.timeout(30_000);
    const ca = await makeTestCa();
    [a, b] = await Promise.all([issueCertificate(ca, 'A1'), issueCertificate(ca, 'B2')]);
  });

  describe('checkTlsPair', () => {
    it('takes a certificate with its own key, and says which certificate it is', () => {
      const pair = pairOf(checkTlsPair(a.cert, a.key));
      expect(pair.serialNumber).to.equal('A1');
      expect(pair.subject).to.equal('CN=localhost');
      expect(pair.notAfter.getTime()).to.be.greaterThan(Date.now());
    });

    const problems: Array<[string, () => [Buffer, Buffer], Pick<TlsPairProblem, 'reason' | 'file'>, RegExp]> = [
      ['a key that belongs to another certificate', () => [a.cert, b.key], { reason: 'mismatch', file: 'key' }, /does not belong to the certificate \(serial A1\)/],
      ['a key where the certificate should be', () => [a.key, a.key], { reason: 'invalid', file: 'cert' }, /not a PEM certificate/],
      ['a certificate where the key should be', () => [a.cert, a.cert], { reason: 'invalid', file: 'key' }, /not an unencrypted PEM private key/],
      ['an empty certificate file (half written)', () => [Buffer.alloc(0), a.key], { reason: 'invalid', file: 'cert' }, /not a PEM certificate/],
      ['a truncated key', () => [a.cert, a.key.subarray(0, a.key.length / 2)], { reason: 'invalid', file: 'key' }, /private key/],
    ];
    for (const [what, files, expected, message] of problems) {
      it(`refuses ${what}`, () => {
        const checked = checkTlsPair(...files());
        expect(checked).to.include(expected);
        expect((checked as TlsPairProblem).problem).to.match(message);
      });
    }
  });

  describe('judgeTlsReload', () => {
    let start: TlsReloadState;
    before(() => {
      start = initialReloadState(pairOf(checkTlsPair(a.cert, a.key)));
    });

    it('does nothing while the files hold the pair in use', () => {
      expect(judgeTlsReload(start, { cert: a.cert, key: a.key })).to.deep.equal({ next: start, outcome: { kind: 'none' } });
    });

    it('loads a new pair that checks out, and then serves it', () => {
      const { next, outcome } = judgeTlsReload(start, { cert: b.cert, key: b.key });
      expect(outcome.kind).to.equal('load');
      expect(outcome.kind === 'load' && outcome.pair.serialNumber).to.equal('B2');
      expect(next).to.deep.equal({ served: contentsDigest(b.cert, b.key), judged: contentsDigest(b.cert, b.key) });
      expect(judgeTlsReload(next, { cert: b.cert, key: b.key }).outcome).to.deep.equal({ kind: 'none' });
    });

    it('refuses a new certificate with the old key (a half-written update) once, keeps serving the old pair, and loads the whole new pair later', () => {
      const torn = judgeTlsReload(start, { cert: b.cert, key: a.key });
      expect(torn.outcome).to.include({ kind: 'refuse', reason: 'mismatch' });
      expect(torn.next.served, 'still served').to.equal(start.served);
      // The same bad contents on the next poll are not refused (logged, counted) again.
      expect(judgeTlsReload(torn.next, { cert: b.cert, key: a.key }).outcome).to.deep.equal({ kind: 'none' });
      expect(judgeTlsReload(torn.next, { cert: b.cert, key: b.key }).outcome.kind).to.equal('load');
    });

    it('refuses files it cannot read once per problem, and loads nothing when they come back as they were', () => {
      const gone = { reason: 'unreadable', file: 'cert', problem: 'cannot read /x/tls.crt: ENOENT' } as const;
      const first = judgeTlsReload(start, gone);
      expect(first.outcome).to.deep.equal({ kind: 'refuse', reason: 'unreadable', problem: gone.problem });
      expect(judgeTlsReload(first.next, gone).outcome).to.deep.equal({ kind: 'none' });
      const back = judgeTlsReload(first.next, { cert: a.cert, key: a.key });
      expect(back.outcome).to.deep.equal({ kind: 'none' });
      expect(back.next.served).to.equal(start.served);
    });

    it('refuses a pair that is not PEM at all', () => {
      const { outcome, next } = judgeTlsReload(start, { cert: Buffer.from('not yet written'), key: a.key });
      expect(outcome).to.include({ kind: 'refuse', reason: 'invalid' });
      expect(next.served).to.equal(start.served);
    });
  });
});
