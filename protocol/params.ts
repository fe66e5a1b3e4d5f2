/**
 * The building blocks of the params schemas in `rpc.ts`, and the one check the host applies to every message it
 * handles: params nest at most `MAX_PARAMS_DEPTH` levels, then match their schema. A refusal names each field at
 * fault and what it allows, e.g. `limits.maxSteps: must be an integer from 1 to 200`.
 */
import * as l10n from '@vscode/l10n';
import { z } from 'zod';

/** How many levels of objects and lists params may nest, the params object itself being the first. */
export const MAX_PARAMS_DEPTH = 32;
/** A refusal lists this many fields at most. */
const MAX_ISSUES_SHOWN = 5;

const count = (n: number) => n.toLocaleString('en-US');

/** A whole number from `min` to `max`, inclusive. */
export function integer(min: number, max: number) {
  const error = () => l10n.t('must be an integer from {0} to {1}', count(min), count(max));
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A string of `min` to `max` characters. */
export function text(max: number, min = 0) {
  return z.string().min(min).max(max);
}

/** An http(s) URL of at most 2,048 characters. */
export function httpUrl() {
  // A schema's own message covers its checks too, so the length check needs its own.
  return z.url({ protocol: /^https?$/, error: () => l10n.t('must be an http(s) URL') }).max(2048, { error: () => l10n.t('must be at most {0} characters', count(2048)) });
}

/** A list of at most `max` items. */
export function list<T extends z.ZodType>(item: T, max: number) {
  return z.array(item).max(max).readonly();
}

/** An object of at most `maxEntries` string values, with keys and values capped in length. */
export function stringMap(maxEntries: number, maxKey: number, maxValue: number) {
  return z
    .record(text(maxKey), text(maxValue))
    .refine((map) => Object.keys(map).length <= maxEntries, { error: () => l10n.t('must have at most {0} entries', count(maxEntries)) })
    .readonly();
}

/** What a request or notification without params accepts: none, or an empty object. */
export const noParams = z.strictObject({}, { error: () => l10n.t('must be absent or {}: this request takes no params') }).optional();

export type ParamsCheck<T> = { readonly ok: true; readonly params: T } | { readonly ok: false; readonly message: string };

/**
 * Checks a message's params against its schema. The depth comes first and without recursion, so params nested
 * a hundred thousand levels deep cost a loop, not the stack. The schema's description, when it has one, names the
 * params in the message ("run request"); otherwise the method does ("memory/search request").
 */
export function checkParams<T>(schema: z.ZodType<T>, params: unknown, method: string, kind: 'request' | 'notification' = 'request'): ParamsCheck<T> {
  const deep = tooDeep(params);
  if (deep !== undefined) {
    const issue = l10n.t({
      message: 'params nest too deep: {0} nests more than {1} levels of objects and lists',
      args: [deep, MAX_PARAMS_DEPTH],
      comment: ['{0} is the top-level field whose value nests too deep, e.g. "input"; {1} is the number of levels allowed.'],
    });
    return { ok: false, message: invalidMessage(schema.description, method, kind, issue) };
  }
  const parsed = schema.safeParse(params, { reportInput: true, error: allowed });
  if (parsed.success) return { ok: true, params: parsed.data };
  const issues = parsed.error.issues;
  const shown = issues.slice(0, MAX_ISSUES_SHOWN).map(describeIssue).join('; ');
  const listed = issues.length > MAX_ISSUES_SHOWN
    ? l10n.t({
      message: '{0} (and {1} more)',
      args: [shown, issues.length - MAX_ISSUES_SHOWN],
      comment: ['{0} lists the first fields at fault, e.g. "goal: must be a string; models: must be an object"; {1} counts the fields left out.'],
    })
    : shown;
  return { ok: false, message: invalidMessage(schema.description, method, kind, listed) };
}

/** "Invalid run request: …": the schema's description names the params when it has one, else the method and kind. */
function invalidMessage(description: string | undefined, method: string, kind: 'request' | 'notification', issues: string): string {
  if (description !== undefined) {
    return l10n.t({ message: 'Invalid {0}: {1}', args: [description, issues], comment: ['{0} names the params, e.g. "run request" or "initialization options" (English, from the protocol).', '{1} lists each field at fault and what it allows, e.g. "limits.maxSteps: must be an integer from 1 to 200; goal: is missing; it must be a string".'] });
  }
  if (kind === 'notification') return l10n.t({ message: 'Invalid {0} notification: {1}', args: [method, issues], comment: ['{0} is a protocol method, e.g. "memory/filesChanged".', '{1} lists each field at fault and what it allows, e.g. "limits.maxSteps: must be an integer from 1 to 200; goal: is missing; it must be a string".'] });
  return l10n.t({ message: 'Invalid {0} request: {1}', args: [method, issues], comment: ['{0} is a protocol method, e.g. "memory/search".', '{1} lists each field at fault and what it allows, e.g. "limits.maxSteps: must be an integer from 1 to 200; goal: is missing; it must be a string".'] });
}

/** The field whose value nests past `maxDepth` levels, or undefined when none does; iterative, so any depth is safe. */
export function tooDeep(params: unknown, maxDepth = MAX_PARAMS_DEPTH): string | undefined {
  const pending: { value: unknown; level: number; field: string }[] = [{ value: params, level: 1, field: 'params' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, level, field } = next;
    if (value === null || typeof value !== 'object') continue;
    if (level > maxDepth) return field;
    for (const [key, child] of Object.entries(value)) {
      if (child !== null && typeof child === 'object') pending.push({ value: child, level: level + 1, field: level === 1 ? fieldPath([Array.isArray(value) ? Number(key) : key]) : field });
    }
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return l10n.t({
      message: '{0}: is missing; it {1}',
      args: [fieldPath(issue.path), issue.message],
      comment: ['{0} is a field, e.g. "limits.maxSteps"; {1} says what the field allows, e.g. "must be an object".'],
    });
  }
  return `${fieldPath(issue.path)}: ${issue.message}`;
}

/** `limits.maxSteps`, `servers[0].env["MY VAR"]`; `params` for the params themselves, `params[0]` in a list. */
function fieldPath(path: readonly PropertyKey[]): string {
  let text = typeof path[0] === 'number' ? 'params' : '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key) && key.length <= 64) text += text ? `.${key}` : key;
    else text += `[${JSON.stringify(clip(String(key)))}]`;
  }
  return text || 'params';
}

function clip(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}

/** Says what a field allows. Schemas that set their own message (`integer`, URLs) keep it. */
function allowed(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return mustBeKind(issue.expected);
    case 'too_big': {
      const maximum = count(Number(issue.maximum));
      if (issue.origin === 'string') return l10n.t('must be at most {0} characters', maximum);
      if (issue.origin === 'array') return l10n.t('must have at most {0} items', maximum);
      return issue.inclusive ? l10n.t('must be at most {0}', maximum) : l10n.t('must be below {0}', maximum);
    }
    case 'too_small': {
      const minimum = count(Number(issue.minimum));
      if (issue.origin === 'string') return Number(issue.minimum) === 1 ? l10n.t('must not be empty') : l10n.t('must be at least {0} characters', minimum);
      if (issue.origin === 'array') return l10n.t('must have at least {0} items', minimum);
      return issue.inclusive ? l10n.t('must be at least {0}', minimum) : l10n.t('must be above {0}', minimum);
    }
    case 'invalid_value':
      return issue.values.length === 1 ? mustBeValue(literal(issue.values[0])) : mustBeOneOf(issue.values.map(literal).join(', '));
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      return options ? mustBeOneOf(options.map(literal).join(', ')) : l10n.t('matches none of the allowed forms');
    }
    case 'invalid_format':
      if (issue.format === 'url') return l10n.t('must be a URL');
      if (issue.format === 'regex' && 'pattern' in issue) return l10n.t({ message: 'must match {0}', args: [String(issue.pattern)], comment: ['{0} is a regular expression, e.g. /^[a-z]+$/.'] });
      return l10n.t({ message: 'must be a valid {0}', args: [issue.format], comment: ['{0} is the name of a format as the validation library calls it, e.g. "email", "uuid" or "date".'] });
    case 'invalid_key': {
      const problem = issue.issues[0]?.message;
      if (problem === undefined) return l10n.t('the key is not allowed');
      return l10n.t({ message: 'the key {0}', args: [problem], comment: ['Said of a key in a map; {0} says what is wrong with it, e.g. "must be at most 256 characters".'] });
    }
    case 'unrecognized_keys': {
      const keys = issue.keys.map((key) => JSON.stringify(clip(key))).join(', ');
      if (issue.keys.length === 1) return l10n.t({ message: 'has unknown field {0}', args: [keys], comment: ['{0} is the field\'s name in quotes, e.g. "maxStep".'] });
      return l10n.t({ message: 'has unknown fields {0}', args: [keys], comment: ['{0} lists the fields\' names in quotes, e.g. "maxStep", "goals".'] });
    }
    case 'not_multiple_of':
      return l10n.t('must be a multiple of {0}', String(issue.divisor));
    default:
      return undefined;
  }
}

/** "must be an object", "must be a list": what a field of the wrong type should be, one whole message per type. */
function mustBeKind(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return l10n.t('must be an object');
    case 'array':
      return l10n.t('must be a list');
    case 'string':
      return l10n.t('must be a string');
    case 'number':
      return l10n.t('must be a number');
    case 'int':
      return l10n.t('must be a whole number');
    case 'boolean':
      return l10n.t('must be true or false');
    case 'undefined':
      return l10n.t('must be absent');
    default:
      return mustBeValue(expected);
  }
}

/** "must be "stdio"": the one value a field allows; also a type `mustBeKind` has no words for. */
function mustBeValue(value: string): string {
  return l10n.t({ message: 'must be {0}', args: [value], comment: ['{0} is the one value allowed, e.g. "stdio" (strings in quotes) or 1, or else a type as the validation library names it, e.g. bigint.'] });
}

function mustBeOneOf(values: string): string {
  return l10n.t({ message: 'must be one of {0}', args: [values], comment: ['{0} lists the values allowed, e.g. "auto", "required", "off" (strings in quotes).'] });
}

function literal(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
