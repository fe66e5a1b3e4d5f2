import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isFromWebview, type ToWebview } from '../../protocol/webview';
import type { TraceStore } from './traceStore';

/** The sidebar trace viewer: a webview that renders the span tree of recent runs as it streams in. */
export class TraceViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'keel.traces';
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri, private readonly store: TraceStore) {
    this.disposables.push(
      store.onDidUpdateSpan((span) => this.post({ type: 'span', span })),
      store.onDidFinishRun((result) => this.post({ type: 'runFinished', result })),
      store.onDidReset(() => this.postReset()),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    view.webview.html = this.html(view.webview, dist);
    view.webview.onDidReceiveMessage((message: unknown) => {
      if (!isFromWebview(message)) return;
      if (message.type === 'ready') this.postReset();
      if (message.type === 'clear') this.store.clear();
      if (message.type === 'runTask') void vscode.commands.executeCommand('keel.runTask');
    }, undefined, this.disposables);
    view.onDidDispose(() => (this.view = undefined), undefined, this.disposables);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private postReset(): void {
    this.post({ type: 'reset', spans: this.store.all(), runs: this.store.runs() });
  }

  private post(message: ToWebview): void {
    void this.view?.webview.postMessage(message);
  }

  private html(webview: vscode.Webview, dist: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(dist, name)).toString();
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
<body>
<div id="app" aria-live="polite"></div>
<script type="module" nonce="${nonce}" src="${asset('webview.js')}"></script>
</body>
</html>`;
  }
}
