import * as vscode from 'vscode';
import type { ElicitAnswer, ElicitField, ElicitParams } from '../../protocol/rpc';

/** Shows an MCP server's request for input: first whether to answer, then one prompt per field. */
export async function askUserForElicitation(params: ElicitParams, token: vscode.CancellationToken): Promise<ElicitAnswer> {
  const decline = vscode.l10n.t('Decline');
  const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Keel: MCP server "{0}" asks: {1}', params.server, params.message), vscode.l10n.t('Answer'), decline);
  if (token.isCancellationRequested || choice === undefined) return { action: 'cancel' };
  if (choice === decline) return { action: 'decline' };
  const content: Record<string, string | number | boolean> = {};
  for (const field of params.fields) {
    const value = await askField(params.server, field, token);
    if (value === null) return { action: 'cancel' };
    if (value !== undefined) content[field.name] = value;
  }
  return { action: 'accept', content };
}

/** `null` means the user cancelled; `undefined` means they left an optional field empty. */
async function askField(server: string, field: ElicitField, token: vscode.CancellationToken): Promise<string | number | boolean | undefined | null> {
  const title = field.required ? `${server}: ${field.title ?? field.name}` : vscode.l10n.t('{0}: {1} (optional)', server, field.title ?? field.name);
  if (field.type === 'boolean' || field.enum) {
    const options = field.type === 'boolean' ? ['true', 'false'] : [...field.enum!];
    const items = options.map((label) => ({ label, picked: String(field.default) === label }));
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: field.description }, token);
    if (!pick) return null;
    return field.type === 'boolean' ? pick.label === 'true' : pick.label;
  }
  const numeric = field.type === 'number' || field.type === 'integer';
  const text = await vscode.window.showInputBox({
    title,
    prompt: field.description,
    value: field.default !== undefined ? String(field.default) : '',
    ignoreFocusOut: true,
    validateInput: (v) => {
      if (v === '') return field.required ? vscode.l10n.t('This field is required.') : undefined;
      if (numeric && !Number.isFinite(Number(v))) return vscode.l10n.t('Enter a number.');
      if (field.type === 'integer' && !Number.isInteger(Number(v))) return vscode.l10n.t('Enter a whole number.');
      return undefined;
    },
  }, token);
  if (text === undefined) return null;
  if (text === '') return undefined;
  return numeric ? Number(text) : text;
}
