import * as vscode from 'vscode';

/** Details of a question open as read-only documents: nothing to save, nothing to mistake for a workspace file. */
const SCHEME = 'keel-details';

export function registerReadOnlyDetails(): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(SCHEME, {
    provideTextDocumentContent: (uri) => Buffer.from(uri.query, 'base64url').toString('utf8'),
  });
}

/** Opens `text` beside the work, read-only, titled `name`. */
export async function showReadOnly(name: string, text: string): Promise<void> {
  const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${name}`, query: Buffer.from(text).toString('base64url') });
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: true, preserveFocus: true });
}
