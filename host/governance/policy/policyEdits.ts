import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { applyEdits, modify, parse, type FormattingOptions, type JSONPath } from 'jsonc-parser';
import type { AllowRule } from '../../../protocol/rpc';
import { MAX_POLICY_BYTES, parsePolicyText, type PolicyDocument } from './policyDocument';

/** Where "Always allow" adds a rule: the agent's own list when its section has one (it replaces the default's), else the default's. */
export function allowRulePath(document: PolicyDocument | undefined, agent: string, list: AllowRule['list']): JSONPath {
  return document?.agents?.[agent]?.[list] !== undefined ? ['agents', agent, list, 'allow'] : ['default', list, 'allow'];
}

/** `default.commands.allow += "npm test"`: what an addition writes, for the preview and the confirmation. */
export function describeAddition(path: JSONPath, rules: readonly AllowRule[]): string {
  return `${path.join('.')} += ${rules.map((rule) => JSON.stringify(rule.pattern)).join(', ')}`;
}

export type EditedPolicy = { readonly ok: true; readonly text: string; readonly summary: string } | { readonly ok: false; readonly error: string };

/**
 * Adds allow rules to a policy's text with jsonc-parser's edits, so its comments, order and formatting stay as they
 * were. A text that does not parse or fails the schema is refused as it stands (the refusal says where): writing
 * into it would hide the mistake. Rules already in the list are not added twice. All rules go to one list kind.
 */
export function addAllowRules(text: string, rules: readonly AllowRule[], agent: string, source: string): EditedPolicy {
  const parsed = parsePolicyText(text, source);
  if (!parsed.ok) return { ok: false, error: `${parsed.error} ${l10n.t('Nothing was written.')}` };
  const path = allowRulePath(parsed.document, agent, rules[0]!.list);
  const existing = listAt(parsed.document, path);
  const fresh = [...new Set(rules.map((rule) => rule.pattern))].filter((pattern) => !existing.includes(pattern));
  const summary = `${source}: ${describeAddition(path, rules)}`;
  if (fresh.length === 0) return { ok: true, text, summary: l10n.t('{0} (already there)', summary) };
  const options = { formattingOptions: formattingOf(text) };
  let edited = text;
  if (Array.isArray(valueAt(parsed.document, path))) {
    for (const pattern of fresh) edited = applyEdits(edited, modify(edited, [...path, -1], pattern, { ...options, isArrayInsertion: true }));
  } else {
    edited = applyEdits(edited, modify(edited, path, fresh, options));
  }
  // The edit is checked like any policy: what is written must be what the host will read.
  const check = parsePolicyText(edited, source);
  if (!check.ok) return { ok: false, error: l10n.t('Adding the rule would leave {0} invalid ({1}); nothing was written.', source, check.error) };
  return { ok: true, text: edited, summary };
}

/** The `keel.policy` setting with the rules added, for the extension to save (VS Code keeps settings.json's comments). */
export function addAllowRulesToSetting(value: Record<string, unknown> | undefined, rules: readonly AllowRule[], agent: string): { ok: true; value: Record<string, unknown>; summary: string } | { ok: false; error: string } {
  const edited = addAllowRules(JSON.stringify(value ?? {}, null, 2), rules, agent, 'setting keel.policy');
  return edited.ok ? { ok: true, value: parse(edited.text) as Record<string, unknown>, summary: edited.summary } : edited;
}

const NEW_FILE = '// Keel policy: what agents may do without asking (see the README, "Policy").\n// "Always allow" in the approval center adds its rules here.\n{}\n';

/**
 * Adds allow rules to `<root>/.keel/policy.jsonc`, creating it if there is none. The workspace may be hostile, so
 * `.keel` must be a real folder and the file a regular file (no symlink, FIFO or device), at most the size a policy
 * may have. The new text replaces the old by rename after a sync, so a crash leaves one or the other, never half.
 */
export function writeWorkspaceAllowRules(root: string, relative: string, rules: readonly AllowRule[], agent: string): EditedPolicy {
  const file = join(root, relative);
  const folder = dirname(file);
  const current = readExisting(folder, file, relative);
  if ('error' in current) return { ok: false, error: current.error };
  const edited = addAllowRules(current.text ?? NEW_FILE, rules, agent, relative);
  if (!edited.ok || edited.text === current.text) return edited;
  if (current.text === undefined) mkdirSync(folder, { recursive: true });
  const temporary = join(folder, `.policy.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    writeSync(fd, edited.text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, file);
  return edited;
}

function readExisting(folder: string, file: string, relative: string): { text: string | undefined } | { error: string } {
  const folderKind = kindOf(folder);
  if (folderKind === 'missing') return { text: undefined };
  if (folderKind !== 'directory') return { error: l10n.t('{0} is not a folder (a symlink or a file); Keel writes policy rules only into a real {1} folder. Nothing was written.', dirname(relative), '.keel') };
  const fileKind = kindOf(file);
  if (fileKind === 'missing') return { text: undefined };
  if (fileKind !== 'file') return { error: l10n.t('{0} is not a regular file (a symlink, a folder or a device); Keel writes rules only into a regular file. Nothing was written.', relative) };
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { error: l10n.t('{0} is not a regular file. Nothing was written.', relative) };
    if (info.size > MAX_POLICY_BYTES) return { error: l10n.t('{0} is {1} bytes; a policy may have at most {2}. Nothing was written.', relative, info.size, MAX_POLICY_BYTES) };
    const buffer = Buffer.alloc(info.size);
    const read = readSync(fd, buffer, 0, info.size, 0);
    return { text: buffer.subarray(0, read).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

function kindOf(path: string): 'missing' | 'directory' | 'file' | 'other' {
  try {
    const info = lstatSync(path);
    return info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

function valueAt(document: PolicyDocument, path: JSONPath): unknown {
  let node: unknown = document;
  for (const key of path) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[String(key)] : undefined;
  return node;
}

/** The patterns a list holds, strings and `{ pattern }` entries alike. */
function listAt(document: PolicyDocument, path: JSONPath): string[] {
  const list = valueAt(document, path);
  if (!Array.isArray(list)) return [];
  return list.map((entry: unknown) => (typeof entry === 'string' ? entry : (entry as { pattern?: string }).pattern ?? ''));
}

/** The file's own indentation and line ends, so an added rule looks like its neighbours. */
function formattingOf(text: string): FormattingOptions {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return indent.startsWith('\t') ? { insertSpaces: false, tabSize: 1, eol } : { insertSpaces: true, tabSize: indent.length, eol };
}
