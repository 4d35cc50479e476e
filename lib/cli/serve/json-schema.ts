/**
 * The JSON Schema (draft 4) checks API Gateway's request validation applies to a request body, for the
 * local stage: `type`, `enum`, `required`, `properties`, `additionalProperties`, `items`, `minItems`/
 * `maxItems`, `minLength`/`maxLength`, `pattern`, `minimum`/`maximum` (with the draft-4 boolean
 * `exclusiveMinimum`/`exclusiveMaximum`), `minProperties`/`maxProperties`, `allOf`/`anyOf`/`oneOf`/`not`.
 * Keywords outside this list are ignored (a local stage may accept what API Gateway refuses; it never
 * refuses what API Gateway accepts for these keywords). `$ref` is not followed.
 *
 * @see https://datatracker.ietf.org/doc/html/draft-zyp-json-schema-04
 */

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    default:
      return true;
  }
}

/**
 * The first problem of `value` under `schema`, as `<path>: <what>`, or undefined when it conforms.
 * @param schema a draft-4 schema
 * @param value the parsed JSON
 * @param path where `value` is, for the message
 */
export function schemaProblem(schema: unknown, value: unknown, path = '$'): string | undefined {
  if (!isObject(schema)) return undefined;
  const types = Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : undefined;
  if (types !== undefined && !types.some((type) => typeMatches(String(type), value))) return `${path}: must be ${types.join(' or ')}`;
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) return `${path}: must be one of ${JSON.stringify(schema.enum)}`;
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    const passing = list.filter((sub) => schemaProblem(sub, value, path) === undefined).length;
    if ((key === 'allOf' && passing < list.length) || (key === 'anyOf' && passing === 0) || (key === 'oneOf' && passing !== 1)) return `${path}: must match ${key}`;
  }
  if (schema.not !== undefined && schemaProblem(schema.not, value, path) === undefined) return `${path}: must not match not`;
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) return `${path}: must have at least ${schema.minLength} characters`;
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) return `${path}: must have at most ${schema.maxLength} characters`;
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return `${path}: must match ${schema.pattern}`;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && (schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum)) return `${path}: must be at least ${schema.minimum}`;
    if (typeof schema.maximum === 'number' && (schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum)) return `${path}: must be at most ${schema.maximum}`;
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) return `${path}: must have at least ${schema.minItems} items`;
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return `${path}: must have at most ${schema.maxItems} items`;
    if (isObject(schema.items)) {
      for (const [i, item] of value.entries()) {
        const problem = schemaProblem(schema.items, item, `${path}[${i}]`);
        if (problem !== undefined) return problem;
      }
    }
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (typeof schema.minProperties === 'number' && keys.length < schema.minProperties) return `${path}: must have at least ${schema.minProperties} properties`;
    if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties) return `${path}: must have at most ${schema.maxProperties} properties`;
    for (const name of Array.isArray(schema.required) ? schema.required : []) {
      if (!Object.hasOwn(value, String(name))) return `${path}: must have ${String(name)}`;
    }
    const properties = isObject(schema.properties) ? schema.properties : {};
    for (const key of keys) {
      if (Object.hasOwn(properties, key)) {
        const problem = schemaProblem(properties[key], value[key], `${path}.${key}`);
        if (problem !== undefined) return problem;
      } else if (schema.additionalProperties === false) {
        return `${path}: must not have ${key}`;
      } else if (isObject(schema.additionalProperties)) {
        const problem = schemaProblem(schema.additionalProperties as Schema, value[key], `${path}.${key}`);
        if (problem !== undefined) return problem;
      }
    }
  }
  return undefined;
}
