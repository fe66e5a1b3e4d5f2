import * as vscode from 'vscode';
import { webviewPage } from '../webviewPage';

export { webviewRoot as viewerRoot } from '../webviewPage';

/** The page of a trace viewer webview; `mode` tells the script whether it is the sidebar view or an editor-area panel. */
export function viewerHtml(webview: vscode.Webview, extensionUri: vscode.Uri, mode: 'sidebar' | 'panel'): string {
  return webviewPage(webview, extensionUri, { title: vscode.l10n.t('Keel traces'), styles: ['webview.css'], script: 'webview.js', body: '<div id="app"></div>', bodyAttributes: `data-mode="${mode}"` });
}
