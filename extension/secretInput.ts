import * as vscode from 'vscode';

/**
 * Asks for a secret in a password box and keeps it in SecretStorage under `key`; an empty answer removes it.
 * Resolves with what happened, or undefined when the user dismissed the box.
 */
export async function askForSecret(secrets: vscode.SecretStorage, key: string, box: { readonly title: string; readonly prompt: string }): Promise<'stored' | 'removed' | undefined> {
  const value = await vscode.window.showInputBox({ ...box, password: true, ignoreFocusOut: true });
  if (value === undefined) return undefined;
  if (value.trim() === '') {
    await secrets.delete(key);
    return 'removed';
  }
  await secrets.store(key, value.trim());
  return 'stored';
}
