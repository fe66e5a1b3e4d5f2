/**
 * The building blocks of the params schemas in `rpc.ts`, and the one check the host applies to every message it
 * handles: params nest at most `MAX_PARAMS_DEPTH` levels, then match their schema. A refusal names each field at
 * fault and what it allows, e.g. `limits.maxSteps: must be an integer from 1 to 200`.
 */
import { z } from 'zod';

/** How many levels of objects and lists params may nest, the params object itself being the first. */
export const MAX_PARAMS_DEPTH = 32;
/** A refusal lists this many fields at most. */
const MAX_ISSUES_SHOWN = 5;

const count = (n: number) => n.toLocaleString('en-US');

/** A whole number from `min` to `max`, inclusive. */
export function integer(min: number, max: number) {
  const error = `must be an integer from ${count(min)} to ${count(max)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A string of `min` to `max` characters. */
export function text(max: number, min = 0) {
  return z.string().min(min).max(max);
}

/** An http(s) URL of at most 2,048 characters. */
export function httpUrl() {
  // A schema's own message covers its checks too, so the length check needs its own.
  return z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048, { error: 'must be at most 2,048 characters' });
}

/** A list of at most `max` items. */
export function list<T extends z.ZodType>(item: T, max: number) {
  return z.array(item).max(max).readonly();
}

/** An object of at most `maxEntries` string values, with keys and values capped in length. */
export function stringMap(maxEntries: number, maxKey: number, maxValue: number) {
  return z
    .record(text(maxKey), text(maxValue))
    .refine((map) => Object.keys(map).length <= maxEntries, { error: `must have at most ${count(maxEntries)} entries` })
    .readonly();
}

/** What a request or notification without params accepts: none, or an empty object. */
export const noParams = z.strictObject({}, { error: 'must be absent or {}: this request takes no params' }).optional();

export type ParamsCheck<T> = { readonly ok: true; readonly params: T } | { readonly ok: false; readonly message: string };

/**
 * Checks a message's params against its schema. The depth comes first and without recursion, so params nested
 * a hundred thousand levels deep cost a loop, not the stack. The schema's description, when it has one, names the
 * params in the message ("run request"); otherwise the method does ("memory/search request").
 */
export function checkParams<T>(schema: z.ZodType<T>, params: unknown, method: string, kind: 'request' | 'notification' = 'request'): ParamsCheck<T> {
  const what = schema.description ?? `${method} ${kind}`;
  const deep = tooDeep(params);
  if (deep !== undefined) {
    return { ok: false, message: `Invalid ${what}: params nest too deep: ${deep} nests more than ${MAX_PARAMS_DEPTH} levels of objects and lists` };
  }
  const parsed = schema.safeParse(params, { reportInput: true, error: allowed });
  if (parsed.success) return { ok: true, params: parsed.data };
  const issues = parsed.error.issues;
  const shown = issues.slice(0, MAX_ISSUES_SHOWN).map(describeIssue);
  const more = issues.length > MAX_ISSUES_SHOWN ? ` (and ${issues.length - MAX_ISSUES_SHOWN} more)` : '';
  return { ok: false, message: `Invalid ${what}: ${shown.join('; ')}${more}` };
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
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  return `${fieldPath(issue.path)}: ${missing ? 'is missing; it ' : ''}${issue.message}`;
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
      return `must be ${KINDS[issue.expected] ?? issue.expected}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${count(Number(issue.maximum))} characters`;
      if (issue.origin === 'array') return `must have at most ${count(Number(issue.maximum))} items`;
      return `must be ${issue.inclusive ? 'at most' : 'below'} ${count(Number(issue.maximum))}`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) === 1 ? 'must not be empty' : `must be at least ${count(Number(issue.minimum))} characters`;
      if (issue.origin === 'array') return `must have at least ${count(Number(issue.minimum))} items`;
      return `must be ${issue.inclusive ? 'at least' : 'above'} ${count(Number(issue.minimum))}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${literal(issue.values[0])}` : `must be one of ${issue.values.map(literal).join(', ')}`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      return options ? `must be one of ${options.map(literal).join(', ')}` : 'matches none of the allowed forms';
    }
    case 'invalid_format':
      if (issue.format === 'url') return 'must be a URL';
      if (issue.format === 'regex' && 'pattern' in issue) return `must match ${String(issue.pattern)}`;
      return `must be a valid ${issue.format}`;
    case 'invalid_key':
      return `the key ${issue.issues[0]?.message ?? 'is not allowed'}`;
    case 'unrecognized_keys':
      return `has unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((key) => JSON.stringify(clip(key))).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    default:
      return undefined;
  }
}

const KINDS: Readonly<Record<string, string>> = {
  object: 'an object',
  record: 'an object',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  undefined: 'absent',
};

function literal(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
