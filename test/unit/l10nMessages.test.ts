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
