import { expect } from 'chai';
import { applyDefaults, arrayOf, boolean, integer, intOrString, mapOf, object, oneOf, string } from '../../../operator/api/schema.js';

describe('operator API: schema builders', () => {
  it('print plain JSONSchemaProps, as the CRD needs them', () => {
    const schema = object({
      description: 'A thing.',
      required: ['name'],
      default: {},
      properties: {
        name: string({ description: 'Its name.', maxLength: 10 }),
        size: integer({ description: 'Its size.', format: 'int32', minimum: 1, maximum: 9, default: 3 }),
        kind: oneOf(['a', 'b'] as const, { description: 'Its kind.', default: 'a' }),
        on: boolean({ description: 'Whether on.' }),
        cpu: intOrString({ description: 'A quantity.' }),
        tags: mapOf(string({ description: 'A tag.' }), { description: 'Tags.' }),
        parts: arrayOf(object({ description: 'A part.', properties: { id: string({ description: 'Its id.' }) } }), {
          description: 'Parts.',
          mapKeys: ['id'],
          maxItems: 4,
        }),
      },
      rules: [{ rule: 'self.size > 0', message: 'size must be positive' }],
    });
    expect(JSON.parse(JSON.stringify(schema))).to.deep.equal({
      type: 'object',
      description: 'A thing.',
      'x-kubernetes-validations': [{ rule: 'self.size > 0', message: 'size must be positive' }],
      required: ['name'],
      default: {},
      properties: {
        name: { type: 'string', description: 'Its name.', maxLength: 10 },
        size: { type: 'integer', format: 'int32', description: 'Its size.', minimum: 1, maximum: 9, default: 3 },
        kind: { type: 'string', description: 'Its kind.', enum: ['a', 'b'], default: 'a' },
        on: { type: 'boolean', description: 'Whether on.' },
        cpu: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], description: 'A quantity.' },
        tags: { type: 'object', description: 'Tags.', additionalProperties: { type: 'string', description: 'A tag.' } },
        parts: {
          type: 'array',
          description: 'Parts.',
          items: { type: 'object', description: 'A part.', properties: { id: { type: 'string', description: 'Its id.' } } },
          maxItems: 4,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['id'],
        },
      },
    });
  });

  describe('applyDefaults (structural defaulting, as the API server does it)', () => {
    const schema = object({
      description: 'x',
      properties: {
        outer: object({
          description: 'x',
          default: {},
          properties: { inner: integer({ description: 'x', default: 5 }), free: integer({ description: 'x' }) },
        }),
        optional: object({ description: 'x', properties: { inner: integer({ description: 'x', default: 7 }) } }),
        list: arrayOf(object({ description: 'x', properties: { n: integer({ description: 'x', default: 1 }) } }), { description: 'x' }),
      },
    });

    it('adds a defaulted object, then the defaults inside it', () => {
      expect(applyDefaults(schema, {})).to.deep.equal({ outer: { inner: 5 } });
    });

    it('leaves an object without a default absent, but defaults inside it when present', () => {
      expect(applyDefaults(schema, { optional: {} })).to.deep.equal({ outer: { inner: 5 }, optional: { inner: 7 } });
    });

    it('defaults every item of a list, keeps given values, and never changes its input', () => {
      const input = { outer: { inner: 9, free: 1 }, list: [{}, { n: 4 }] };
      expect(applyDefaults(schema, input)).to.deep.equal({ outer: { inner: 9, free: 1 }, list: [{ n: 1 }, { n: 4 }] });
      expect(input).to.deep.equal({ outer: { inner: 9, free: 1 }, list: [{}, { n: 4 }] });
    });
  });
});
