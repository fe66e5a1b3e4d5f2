/**
 * Generates argument objects that are invalid for a JSON schema, each by one mutation of a valid example, so
 * every one of them must be refused by validation. Deterministic for a given seed.
 */
type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; additionalProperties?: boolean; enum?: unknown[]; minLength?: number };

const WRONG_VALUES: Record<string, unknown[]> = {
  string: [42, true, null, [], {}, ['a'], { toString: 'x' }],
  number: ['1', true, null, [], {}, 'NaN'],
  integer: ['1', 1.5, true, null, [], {}],
  boolean: ['true', 0, 1, null, [], {}],
  object: ['{}', 1, null, [], true],
  array: ['[]', 1, null, {}, true],
};
const NOT_OBJECTS: unknown[] = [null, 'args', 42, true, [], [{}], undefined];

export function* invalidArguments(schema: Schema, count: number, seed = 1): Generator<unknown> {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const properties = Object.entries(schema.properties ?? {});
  const required = schema.required ?? [];
  const strict = schema.additionalProperties === false;
  for (let i = 0; i < count; i++) {
    const args = validExample(schema);
    const mutations = ['notObject', ...(required.length ? ['dropRequired'] : []), ...(properties.length ? ['wrongType'] : []), ...(strict ? ['extraKey'] : [])];
    switch (pick(mutations)) {
      case 'notObject':
        yield pick(NOT_OBJECTS);
        break;
      case 'dropRequired':
        delete args[pick(required)];
        yield args;
        break;
      case 'wrongType': {
        const [name, property] = pick(properties);
        args[name] = pick(WRONG_VALUES[property.type ?? 'string'] ?? WRONG_VALUES.string!);
        yield args;
        break;
      }
      case 'extraKey':
        args[pick(['__proto__x', 'constructor', 'extra', `k${i}`, 'path\u0000'])] = pick([1, 'x', null, {}]);
        yield args;
        break;
    }
  }
}

function validExample(schema: Schema): Record<string, unknown> {
  const example: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) example[name] = exampleValue(property);
  return example;
}

function exampleValue(schema: Schema): unknown {
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return validExample(schema);
    default:
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  }
}
