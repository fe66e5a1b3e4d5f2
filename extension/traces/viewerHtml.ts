import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** Where the viewer's script, styles and codicons are: the only folder its webviews may load from. */
export function viewerRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist');
}

/**
 * The page of a trace viewer webview: CSP `default-src 'none'`, the module script by nonce, styles and fonts from
 * `dist/` only. `mode` tells the script whether it is the sidebar view or an editor-area panel.
 */
export function viewerHtml(webview: vscode.Webview, extensionUri: vscode.Uri, mode: 'sidebar' | 'panel'): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(viewerRoot(extensionUri), name)).toString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; font-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${asset('codicon.css')}" rel="stylesheet">
<link href="${asset('webview.css')}" rel="stylesheet">
<title>Keel traces</title>
</head>
<body data-mode="${mode}">
<div id="app"></div>
<script type="module" nonce="${nonce}" src="${asset('webview.js')}"></script>
</body>
</html>`;
}
