import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';

/** Logs `message` and shows it to the user, with a button that opens the log. */
export async function showError(message: string, log: vscode.LogOutputChannel): Promise<void> {
  log.error(message);
  const choice = await vscode.window.showErrorMessage(`Keel: ${message}`, 'Show Log');
  if (choice) log.show();
}

/** The message of an error from the host (a JSON-RPC error), from the extension or from VS Code. */
export function errorText(error: unknown): string {
  return error instanceof ResponseError || error instanceof Error ? error.message : String(error);
}
