import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

/** Where the CLI writes for a person: its print and log helpers, and the streams themselves. */
const CLI_OUTPUT = new Set(['print', 'log', 'write', 'say', 'out']);

/**
 * Messages that may stay a bare literal, by `file:line`-free key `file: first words`, each with the reason. Keep it
 * short: text a person may read goes through `l10n.t`.
 */
const ALLOWED: Readonly<Record<string, string>> = {};

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

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

  it('every error in host/ and protocol/ and everything the CLI prints is translated (l10n.t), or allowed with a reason', () => {
    const found = [...typeScriptFiles(join(ROOT, 'host')), ...typeScriptFiles(join(ROOT, 'protocol'))]
      .flatMap((path) => {
        const name = relative(ROOT, path);
        return untranslatedHostMessages(name, readFileSync(path, 'utf8'), /^host\/cli/.test(name));
      })
      .filter((hit) => !Object.keys(ALLOWED).some((key) => hit.startsWith(key.split(': ')[0]!) && hit.includes(key.split(': ')[1]!)));
    assert.deepEqual(found, [], 'Wrap these in l10n.t(...) from @vscode/l10n (then run `npm run l10n`), or allow them in this test with a reason.');
  });
});
