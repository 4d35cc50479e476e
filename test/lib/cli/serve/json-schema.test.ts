import { schemaProblem } from '../../../../lib/cli/serve/json-schema';

const ORDER = {
  type: 'object',
  required: ['sku', 'quantity'],
  additionalProperties: false,
  properties: {
    sku: { type: 'string', pattern: '^[A-Z]{3}-\\d+$', maxLength: 12 },
    quantity: { type: 'integer', minimum: 1, maximum: 100 },
    express: { type: 'boolean' },
    tags: { type: 'array', maxItems: 2, items: { type: 'string', enum: ['gift', 'fragile'] } },
  },
};

describe('schemaProblem (JSON Schema draft 4, as API Gateway validates request bodies)', () => {
  test.each<[string, unknown, string | undefined]>([
    ['a conforming order', { sku: 'ABC-1', quantity: 3, tags: ['gift'] }, undefined],
    ['a missing required property', { sku: 'ABC-1' }, '$: must have quantity'],
    ['a property the schema does not allow', { sku: 'ABC-1', quantity: 1, price: 5 }, '$: must not have price'],
    ['a wrong type', { sku: 'ABC-1', quantity: '3' }, '$.quantity: must be integer'],
    ['a number that is not an integer', { sku: 'ABC-1', quantity: 1.5 }, '$.quantity: must be integer'],
    ['below the minimum', { sku: 'ABC-1', quantity: 0 }, '$.quantity: must be at least 1'],
    ['above the maximum', { sku: 'ABC-1', quantity: 101 }, '$.quantity: must be at most 100'],
    ['a string off its pattern', { sku: 'abc-1', quantity: 1 }, '$.sku: must match ^[A-Z]{3}-\\d+$'],
    ['a string over its length', { sku: 'ABC-123456789', quantity: 1 }, '$.sku: must have at most 12 characters'],
    ['an item outside the enum', { sku: 'ABC-1', quantity: 1, tags: ['cheap'] }, '$.tags[0]: must be one of ["gift","fragile"]'],
    ['too many items', { sku: 'ABC-1', quantity: 1, tags: ['gift', 'gift', 'gift'] }, '$.tags: must have at most 2 items'],
    ['not an object at all', [1], '$: must be object'],
    ['null', null, '$: must be object'],
  ])('%s', (_name, value, expected) => {
    expect(schemaProblem(ORDER, value)).toBe(expected);
  });

  test('combinators and draft-4 exclusive bounds', () => {
    expect(schemaProblem({ anyOf: [{ type: 'string' }, { type: 'number' }] }, true)).toBe('$: must match anyOf');
    expect(schemaProblem({ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 2)).toBe('$: must match oneOf');
    expect(schemaProblem({ not: { type: 'null' } }, null)).toBe('$: must not match not');
    expect(schemaProblem({ type: 'number', minimum: 1, exclusiveMinimum: true }, 1)).toBe('$: must be at least 1');
    expect(schemaProblem({ type: 'number', minimum: 1, exclusiveMinimum: true }, 1.1)).toBeUndefined();
  });
});
