import * as l10n from '@vscode/l10n';
import Ajv, { type ErrorObject } from 'ajv';
import { createScanner, findNodeAtLocation, parseTree, printParseErrorCode, stripComments, type Node, type ParseError } from 'jsonc-parser';
import schema from '../../../protocol/schemas/policy.schema.json';

export type Verdict = 'allow' | 'ask' | 'deny';
export type Autonomy = 'supervised' | 'autopilot';

/** A command rule as written: a pattern, or a pattern with the sandbox and network it needs. */
export type CommandRuleEntry = string | { readonly pattern: string; readonly sandbox?: boolean; readonly network?: boolean };

type Lists<T> = { readonly [V in Verdict]?: readonly T[] };

/** One agent's rules (or every agent's, as `default`); the types mirror `protocol/schemas/policy.schema.json`. */
export interface PolicySection {
  readonly autonomy?: Autonomy;
  readonly tools?: Lists<string>;
  readonly commands?: Lists<CommandRuleEntry>;
  readonly paths?: { readonly read?: readonly string[]; readonly write?: readonly string[] };
  readonly network?: { readonly hosts?: readonly string[] };
  readonly budgets?: { readonly usdPerRun?: number };
  readonly maxSteps?: number;
}

export interface PolicyDocument {
  readonly default?: PolicySection;
  readonly agents?: Readonly<Record<string, PolicySection>>;
}

export type ParsedPolicy = { readonly ok: true; readonly document: PolicyDocument } | { readonly ok: false; readonly error: string };

/** Bigger policy files are refused unread: a policy is rules, not data. */
export const MAX_POLICY_BYTES = 256 * 1024;
/** The schema nests five deep; far deeper is garbage, refused before a recursive parser could overflow the stack. */
const MAX_DEPTH = 32;

const validate = new Ajv({ allErrors: true, strict: false }).compile<PolicyDocument>(schema);

/**
 * Parses and checks a policy (JSON with comments). A refusal names the source, the line and the field, e.g.
 * `.keel/policy.jsonc line 7: default.commands.allow[2] must be string`, and is the only thing said about it.
 */
export function parsePolicyText(text: string, source: string): ParsedPolicy {
  if (text.length > MAX_POLICY_BYTES) return refuse(l10n.t('{0} is {1} characters long; a policy may have at most {2}.', source, text.length, MAX_POLICY_BYTES));
  const tooDeep = deepestOffset(text);
  if (tooDeep !== undefined) return refuse(l10n.t('{0} line {1}: nested more than {2} levels deep.', source, lineOf(text, tooDeep), MAX_DEPTH));
  // A file with nothing but comments (just created, or all commented out) has no rules.
  if (stripComments(text).trim() === '') return { ok: true, document: {} };
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    return refuse(l10n.t('{0} line {1}: {2}. Fix the JSON (comments and trailing commas are fine).', source, lineOf(text, first.offset), describeParseError(first)));
  }
  const value = tree ? nodeValue(tree) : undefined;
  return checkDocument(value, source, (path) => (tree ? lineAt(text, tree, path) : undefined));
}

/** Checks a policy given as a value (the `keel.policy` setting); the refusal names the field. */
export function checkPolicyValue(value: unknown, source: string): ParsedPolicy {
  return checkDocument(value, source, () => undefined);
}

function checkDocument(value: unknown, source: string, lineFor: (path: readonly (string | number)[]) => number | undefined): ParsedPolicy {
  if (validate(value)) return { ok: true, document: value };
  const error = mostSpecific(validate.errors ?? []);
  const path = pathOf(error);
  const line = lineFor(path);
  const problem = describeSchemaError(error, fieldName(path));
  return refuse(line ? l10n.t('{0} line {1}: {2}.', source, line, problem) : l10n.t('{0}: {1}.', source, problem));
}

function refuse(error: string): ParsedPolicy {
  return { ok: false, error };
}

/** Offset of the first bracket past the depth limit, found with jsonc-parser's scanner (which does not recurse). */
function deepestOffset(text: string): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (;;) {
    scanner.scan();
    const offset = scanner.getTokenOffset();
    if (offset >= text.length) return undefined;
    // Brackets are one-character tokens; strings and comments that hold one are longer.
    if (scanner.getTokenLength() !== 1) continue;
    const char = text[offset];
    if (char === '{' || char === '[') {
      if (++depth > MAX_DEPTH) return offset;
    } else if (char === '}' || char === ']') {
      depth--;
    }
  }
}

/** The value of a parse tree, with object keys kept as data (a key named `__proto__` stays a plain key). */
function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? [];
        if (key && value) Object.defineProperty(object, String(key.value), { value: nodeValue(value), enumerable: true, writable: true, configurable: true });
      }
      return object;
    }
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

/** Ajv reports every failing branch; the deepest error says most about what to change. */
function mostSpecific(errors: readonly ErrorObject[]): ErrorObject {
  const concrete = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  const pool = concrete.length > 0 ? concrete : errors;
  return pool.reduce((best, e) => (pathOf(e).length > pathOf(best).length ? e : best), pool[0]!);
}

function pathOf(error: ErrorObject): (string | number)[] {
  const segments = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path: (string | number)[] = segments.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  if (error.keyword === 'additionalProperties') path.push(String((error.params as { additionalProperty: string }).additionalProperty));
  return path;
}

function fieldName(path: readonly (string | number)[]): string {
  return path.reduce<string>((name, segment) => (typeof segment === 'number' ? `${name}[${segment}]` : name ? `${name}.${segment}` : segment), '');
}

/** What is wrong with `field` (empty: the whole policy), as a clause with the field as its subject. */
function describeSchemaError(error: ErrorObject, field: string): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return l10n.t('{0} is not a policy field; check the spelling (see the schema, which VS Code shows as you type)', field);
    case 'enum': {
      const values = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return field ? l10n.t('{0} must be one of {1}', field, values) : l10n.t('must be one of {0}', values);
    }
    case 'type':
      return field ? l10n.t('{0} must be {1}', field, String(params.type)) : l10n.t('must be {0}', String(params.type));
    case 'required':
      return field ? l10n.t('{0} needs "{1}"', field, String(params.missingProperty)) : l10n.t('needs "{0}"', String(params.missingProperty));
    default:
      // Ajv's own words (English) for the rarer keywords.
      return field ? `${field} ${error.message ?? l10n.t('is not valid')}` : error.message ?? l10n.t('is not valid');
  }
}

function describeParseError(error: ParseError): string {
  const names: Record<string, string> = {
    InvalidSymbol: l10n.t('unexpected character'), InvalidNumberFormat: l10n.t('not a number'), PropertyNameExpected: l10n.t('a property name is expected'),
    ValueExpected: l10n.t('a value is expected'), ColonExpected: l10n.t('a colon is expected'), CommaExpected: l10n.t('a comma is expected'),
    CloseBraceExpected: l10n.t('a closing {0} is missing', '}'), CloseBracketExpected: l10n.t('a closing {0} is missing', ']'), EndOfFileExpected: l10n.t('text after the end'),
    UnexpectedEndOfComment: l10n.t('a comment is not closed'), UnexpectedEndOfString: l10n.t('a string is not closed'), InvalidCharacter: l10n.t('invalid character in a string'),
  };
  const code = printParseErrorCode(error.error);
  return names[code] ?? code;
}

function lineAt(text: string, tree: Node, path: readonly (string | number)[]): number | undefined {
  // The deepest node that exists: an unknown property's key, or the value that is wrong.
  for (let length = path.length; length >= 0; length--) {
    const node = findNodeAtLocation(tree, [...path.slice(0, length)]);
    if (!node) continue;
    const at = length === path.length && node.parent?.type === 'property' ? node.parent.offset : node.offset;
    return lineOf(text, at);
  }
  return undefined;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
