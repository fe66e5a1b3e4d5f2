import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import englishText from '../package.nls.json';
import { CONFIGURE_MODELS, fixesFor, notificationText, openSetting, SET_OPENAI_KEY, SHOW_LOG, withoutClientWrapper, type ContributedCommand, type Fix } from './errorFixes';

export { CONFIGURE_MODELS, SET_OPENAI_KEY, openSetting, withoutLinks, type Fix } from './errorFixes';

export const INSTALL_COPILOT_CHAT: Fix = { label: vscode.l10n.t('Install Copilot Chat'), command: 'workbench.extensions.search', args: ['GitHub.copilot-chat'] };

/**
 * Logs `message` and shows it with the buttons that fix it: the commands and settings it names, `extra`, and
 * Show Log. Resolves with the fix the user chose, after running it.
 */
export async function showError(message: string, log: vscode.LogOutputChannel, ...extra: Fix[]): Promise<Fix | undefined> {
  log.error(message);
  return notify('error', message, extra);
}

/** As {@link showError}, for something the user may want to act on that did not fail outright. */
export async function showWarning(message: string, ...extra: Fix[]): Promise<Fix | undefined> {
  return notify('warning', message, extra);
}

async function notify(severity: 'error' | 'warning', message: string, extra: readonly Fix[]): Promise<Fix | undefined> {
  const fixes = fixesFor(message, contributedCommands(), contributedSettings(), extra);
  const show = severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
  const labels = fixes.map((fix) => sharedLabel(fix.label));
  const choice = await show(notificationText(message), ...labels);
  const fix = fixes[labels.indexOf(choice ?? '')];
  if (fix) await vscode.commands.executeCommand(fix.command, ...(fix.args ?? []));
  return fix;
}

/**
 * The shared fixes' labels are English in errorFixes.ts (no `vscode` there, so it is unit-tested); they are translated
 * as they are shown. Any other label (a caller's own fix, a contributed command's title) comes translated already.
 */
function sharedLabel(label: string): string {
  switch (label) {
    case SHOW_LOG.label: return vscode.l10n.t('Show Log');
    case CONFIGURE_MODELS.label: return vscode.l10n.t('Configure Models…');
    case SET_OPENAI_KEY.label: return vscode.l10n.t('Set OpenAI API Key');
    case openSetting('').label: return vscode.l10n.t('Open Settings');
    default: return label;
  }
}

/** The message of an error from the host (a JSON-RPC error), from the extension or from VS Code. */
export function errorText(error: unknown): string {
  return withoutClientWrapper(error instanceof ResponseError || error instanceof Error ? error.message : String(error));
}

interface Contributions {
  readonly commands?: ContributedCommand[];
  readonly configuration?: { readonly properties?: Record<string, unknown> };
}

function contributions(): Contributions {
  return (vscode.extensions.getExtension('keel-dev.keel')?.packageJSON as { contributes?: Contributions } | undefined)?.contributes ?? {};
}

function contributedCommands(): readonly ContributedCommand[] {
  return (contributions().commands ?? []).map((c) => ({ ...c, englishTitle: (englishText as Record<string, string>)[`command.${c.command.replace(/^keel\./, '')}`] }));
}

function contributedSettings(): ReadonlySet<string> {
  return new Set(Object.keys(contributions().configuration?.properties ?? {}));
}
