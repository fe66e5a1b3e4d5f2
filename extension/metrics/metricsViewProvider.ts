import * as vscode from 'vscode';
import { webviewPage, webviewRoot } from '../webviewPage';
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
    view.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot(this.extensionUri)] };
    view.webview.html = this.html(view.webview);
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
      return { type: 'unavailable', message: vscode.l10n.t('The metrics could not be loaded ({0}). See "Keel: Show Host Log".', (error as Error).message) };
    });
    void this.view?.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private html(webview: vscode.Webview): string {
    // The window is also in a data attribute, so the first paint shows the right selection before any message.
    return webviewPage(webview, this.extensionUri, { title: vscode.l10n.t('Keel metrics'), styles: ['uPlot.min.css', 'metrics.css'], script: 'metrics.js', body: `<main id="metrics" data-window="${this.window}"></main>` });
  }
}
