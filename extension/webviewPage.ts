import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { escapeHtml } from '../protocol/html';

/** Where every Keel webview's scripts, styles and codicons are: the only folder its pages may load from. */
export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist');
}

export interface WebviewPage {
  readonly title: string;
  /** Style sheets in `dist/`, after the codicons. */
  readonly styles: readonly string[];
  /** The module script in `dist/`. */
  readonly script: string;
  /** The element the script renders into, e.g. `<div id="app"></div>`. */
  readonly body: string;
  readonly bodyAttributes?: string;
}

/**
 * A Keel webview page: CSP `default-src 'none'`, the module script by a fresh nonce, styles and fonts from `dist/`
 * only. Model and tool text never goes in here; the script sets it as text. The display language's translations
 * (`vscode.l10n.bundle`, absent in English) ride in the body's escaped `data-l10n` attribute: data, not a script,
 * so the CSP stays as it is; the script hands them to `@vscode/l10n` before it renders.
 */
export function webviewPage(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot(extensionUri), name)).toString();
  const styles = ['codicon.css', ...page.styles].map((name) => `<link href="${asset(name)}" rel="stylesheet">`).join('\n');
  return `<!DOCTYPE html>
<html lang="${escapeHtml(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; font-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
<title>${escapeHtml(page.title)}</title>
</head>
<body${page.bodyAttributes ? ` ${page.bodyAttributes}` : ''}${l10nAttribute()}>
${page.body}
<script type="module" nonce="${nonce}" src="${asset(page.script)}"></script>
</body>
</html>`;
}

function l10nAttribute(): string {
  const bundle = vscode.l10n.bundle;
  return bundle ? ` data-l10n="${escapeHtml(JSON.stringify(bundle))}"` : '';
}
