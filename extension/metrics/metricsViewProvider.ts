import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isFromMetricsView, type MetricsWindow, type ToMetricsView } from '../../protocol/metrics';

/** Where the view's data comes from; `start` says whether the host may be started for it. */
export type MetricsSource = (window: MetricsWindow, start: boolean) => Promise<ToMetricsView>;

/**
 * The sidebar's Metrics view: a webview that shows one window's tiles, charts and tables. It asks for data when it
 * becomes visible, when its window changes and when told the metrics moved, never on a timer.
 */
export class MetricsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'keel.metrics';
  private view: vscode.WebviewView | undefined;
  private window: MetricsWindow = '24h';
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri, private readonly source: MetricsSource, private readonly log: vscode.LogOutputChannel) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    view.webview.html = this.html(view.webview, dist);
    view.webview.onDidReceiveMessage((message: unknown) => {
      if (!isFromMetricsView(message)) return;
      if (message.type !== 'refresh') this.window = message.window;
      void this.refresh(message.type !== 'ready');
    }, undefined, this.disposables);
    view.onDidChangeVisibility(() => void this.refresh(false), undefined, this.disposables);
    view.onDidDispose(() => (this.view = undefined), undefined, this.disposables);
  }

  /** Sends the current window's metrics to the view, if it is showing; `start` lets it start the host. */
  async refresh(start: boolean): Promise<void> {
    if (!this.view?.visible) return;
    const message = await this.source(this.window, start).catch((error: unknown): ToMetricsView => {
      this.log.warn(`Metrics not loaded: ${(error as Error).message}`);
      return { type: 'unavailable', message: `The metrics could not be loaded (${(error as Error).message}). See "Keel: Show Host Log".` };
    });
    void this.view?.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private html(webview: vscode.Webview, dist: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(dist, name)).toString();
    // The window is also in a data attribute, so the first paint shows the right selection before any message.
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; font-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${asset('codicon.css')}" rel="stylesheet">
<link href="${asset('uPlot.min.css')}" rel="stylesheet">
<link href="${asset('metrics.css')}" rel="stylesheet">
<title>Keel metrics</title>
</head>
<body>
<main id="metrics" data-window="${this.window}"></main>
<script type="module" nonce="${nonce}" src="${asset('metrics.js')}"></script>
</body>
</html>`;
  }
}
