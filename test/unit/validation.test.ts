import { expect } from 'chai';
import { BadRequestError, PayloadTooLargeError } from '../../dataplane/protocol/errors.js';
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../../dataplane/protocol/limits.js';
import { decodePathKey, parseQueryTtl, validateKey, validateTtl, validateValue } from '../../dataplane/protocol/validation.js';

describe('input validation', () => {
  it('accepts keys up to 250 UTF-8 bytes and refuses longer or empty ones', () => {
    expect(validateKey('k'.repeat(MAX_KEY_BYTES))).to.have.length(MAX_KEY_BYTES);
    expect(() => validateKey('k'.repeat(MAX_KEY_BYTES + 1))).to.throw(BadRequestError, '251 bytes');
    // 84 three-byte characters are 252 bytes though only 84 characters.
    expect(() => validateKey('€'.repeat(84))).to.throw(BadRequestError, '252 bytes');
    expect(() => validateKey('')).to.throw(BadRequestError, 'must not be empty');
    expect(() => validateKey(7)).to.throw(BadRequestError, 'must be a string');
  });

  it('refuses values over 1 MiB with 413', () => {
    expect(validateValue('v'.repeat(MAX_VALUE_BYTES))).to.have.length(MAX_VALUE_BYTES);
    expect(() => validateValue('v'.repeat(MAX_VALUE_BYTES + 1))).to.throw(PayloadTooLargeError);
    expect(new PayloadTooLargeError('x').status).to.equal(413);
  });

  it('takes TTLs as whole positive seconds: a JSON number, or digits in a query string', () => {
    expect(validateTtl(undefined)).to.equal(undefined);
    expect(validateTtl(null)).to.equal(undefined);
    expect(validateTtl(60)).to.equal(60);
    expect(parseQueryTtl(undefined)).to.equal(undefined);
    expect(parseQueryTtl('60')).to.equal(60);
    for (const bad of ['60', 0, 1.5, -1, 10 ** 12]) {
      expect(() => validateTtl(bad), String(bad)).to.throw(BadRequestError, 'ttl must be');
    }
    for (const bad of ['', '0', '-1', '1.5', 'soon', '31536001']) {
      expect(() => parseQueryTtl(bad), JSON.stringify(bad)).to.throw(BadRequestError, 'ttl must be');
    }
  });

  it('decodes percent-encoded path keys strictly', () => {
    expect(decodePathKey('a%2Fb%20c%3F')).to.equal('a/b c?');
    expect(decodePathKey('%E2%82%AC')).to.equal('€');
    expect(() => decodePathKey('%E0%A4%A')).to.throw(BadRequestError, 'percent-encoded');
  });
});
