import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const NOTIFY = new Set(['showInformationMessage', 'showWarningMessage', 'showErrorMessage']);

/**
 * Notifications whose text may stay a bare literal, each with the reason. Empty today: keep it that way unless the
 * text is truly not for people (a protocol value, say).
 */
const ALLOWED: Readonly<Record<string, string>> = {};

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Text written in the call itself: a string, a template, or a `+` of them; never an `l10n.t(...)` call. */
function isBareText(node: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(node)) return isBareText(node.expression);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) return true;
  if (ts.isConditionalExpression(node)) return isBareText(node.whenTrue) || isBareText(node.whenFalse);
  return ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken && (isBareText(node.left) || isBareText(node.right));
}

/** `file:line: call` for every notification call in `source` with a message or button written as bare text. */
export function untranslatedNotifications(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
      if (NOTIFY.has(name) && node.arguments.some((arg) => isBareText(arg))) {
        const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        found.push(`${fileName}:${line}: ${node.getText().split('\n')[0]!.slice(0, 120)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('translatable notifications', () => {
  it('finds a bare string, template or concatenation, in the message or a button, and passes l10n.t', () => {
    const found = untranslatedNotifications('probe.ts', [
      "void vscode.window.showInformationMessage('Keel: done.');",
      'void vscode.window.showWarningMessage(`Keel: ${n} runs`, l10n.t("OK"));',
      "void vscode.window.showErrorMessage(vscode.l10n.t('Failed: {0}', why), 'Show Log');",
      "void vscode.window.showErrorMessage('Keel: ' + why);",
      "void vscode.window.showInformationMessage(\n  ok ? vscode.l10n.t('Yes') : `No ${why}`);",
      "void vscode.window.showInformationMessage(vscode.l10n.t('Keel: {0} files.', n), open, { modal: true });",
      'void vscode.window.showWarningMessage(message, ...buttons);',
    ].join('\n'));
    assert.deepEqual(found.map((f) => Number(f.split(':')[1])), [1, 2, 3, 4, 5]);
  });

  it('every notification in extension/ shows translated text (vscode.l10n.t), or is allowed with a reason', () => {
    const found = typeScriptFiles(join(ROOT, 'extension'))
      .flatMap((path) => untranslatedNotifications(relative(ROOT, path), readFileSync(path, 'utf8')))
      .filter((hit) => !(hit.split(':')[0]! in ALLOWED));
    assert.deepEqual(found, [], 'Wrap these in vscode.l10n.t(...) (then run `npm run l10n`), or allow them in this test with a reason.');
  });
});

/** Where the CLI writes for a person: its print and log helpers, and the streams themselves. */
const CLI_OUTPUT = new Set(['print', 'log', 'write', 'say', 'out']);

/** A code such as `'unreachable'` or `'bad_response'`: data a program reads, not words for a person. */
const CODE = /^[a-z][a-z0-9_.-]*$/;

/**
 * Words in the text itself: a string, a template or a `+` of them that holds letters and is not a code; never an
 * `l10n.t(...)` call.
 */
function isBareWords(node: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(node)) return isBareWords(node.expression);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return /[a-z]{2}/i.test(node.text) && !CODE.test(node.text);
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].some((part) => /[a-z]{2}/i.test(part));
  if (ts.isConditionalExpression(node)) return isBareWords(node.whenTrue) || isBareWords(node.whenFalse);
  return ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken && (isBareWords(node.left) || isBareWords(node.right));
}

/**
 * `file:line: code` for every error built from bare words (`new Error('…')`, `new ResponseError(code, '…')`, any
 * `…Error` class), and, when `cli`, every print of bare words.
 */
export function untranslatedHostMessages(fileName: string, source: string, cli: boolean): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (node: ts.Node) => {
    const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    found.push(`${fileName}:${line}: ${node.getText().split('\n')[0]!.slice(0, 120)}`);
  };
  const visit = (node: ts.Node) => {
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && /Error$/.test(node.expression.text) && node.arguments?.some((arg) => isBareWords(arg))) report(node);
    if (cli && ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
      if (CLI_OUTPUT.has(name) && node.arguments.some((arg) => isBareWords(arg))) report(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('translatable host messages', () => {
  it('finds errors and CLI prints of bare words, and passes l10n.t and words-free text', () => {
    const source = [
      "throw new Error('The run failed.');",
      'throw new ResponseError(1, `No run ${id}`);',
      "throw new PolicyError('Denied: ' + why);",
      "throw new Error(l10n.t('The run failed.'));",
      'print(process.stdout, `${tree}\\n\\n`);',
      "print(process.stderr, 'Keel: ' + text);",
      'throw new Error(message);',
      "throw new ModelError('unreachable', l10n.t('Could not reach {0}.', url));",
      "throw new ModelError('unreachable', `Could not reach ${url}.`);",
    ].join('\n');
    assert.deepEqual(untranslatedHostMessages('probe.ts', source, true).map((f) => Number(f.split(':')[1])), [1, 2, 3, 6, 9]);
    assert.deepEqual(untranslatedHostMessages('probe.ts', source, false).map((f) => Number(f.split(':')[1])), [1, 2, 3, 9]);
  });

  it('every error in host/ and protocol/ and everything the CLI prints is translated (l10n.t)', () => {
    const found = [...typeScriptFiles(join(ROOT, 'host')), ...typeScriptFiles(join(ROOT, 'protocol'))]
      .flatMap((path) => {
        const name = relative(ROOT, path);
        return untranslatedHostMessages(name, readFileSync(path, 'utf8'), /^host\/cli/.test(name));
      });
    assert.deepEqual(found, [], 'Wrap these in l10n.t(...) from @vscode/l10n, then run `npm run l10n`.');
  });
});
