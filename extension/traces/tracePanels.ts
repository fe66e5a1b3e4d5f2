import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { SpanData } from '../../protocol/trace';
import type { ToWebview } from '../../protocol/webview';
import { SpanBatcher } from './spanBatcher';
import type { TraceStore } from './traceStore';
import { viewerHtml, viewerRoot } from './viewerHtml';
import { answerViewer, loadTrace, type ViewerServices } from './viewerRequests';
import { errorText, showWarning } from '../errors';

const TITLE_CHARS = 40;

/**
 * Editor-area panels running the same viewer with more room: one run (still live if it is running), or two runs
 * compared. Opening a run that already has a panel shows that panel.
 */
export class TracePanels implements vscode.Disposable {
  static readonly viewType = 'keel.tracePanel';
  private readonly runPanels = new Map<string, vscode.WebviewPanel>();
  /** What every viewer, the sidebar's included, answers its webview with; opening panels is part of it. */
  readonly services: ViewerServices;

  constructor(private readonly extensionUri: vscode.Uri, store: TraceStore, client: () => Promise<LanguageClient>) {
    this.services = { store, client, openRunInPanel: (traceId) => this.openRun(traceId), compare: (left, right) => this.compare(left, right) };
  }

  openRun(traceId: string): void {
    const open = this.runPanels.get(traceId);
    if (open) return open.reveal();
    this.showRun(this.create(vscode.l10n.t('Run')), traceId);
  }

  /**
   * A run panel VS Code restores after a reload: its webview kept the trace id in its state. Anything else (a
   * compare panel, a state from another version) is closed rather than left blank.
   */
  readonly serializer: vscode.WebviewPanelSerializer = {
    deserializeWebviewPanel: async (panel, state: unknown) => {
      const traceId = (state as { traceId?: unknown } | undefined)?.traceId;
      if (typeof traceId !== 'string' || !/^[0-9a-f]{1,64}$/i.test(traceId) || this.runPanels.has(traceId)) return panel.dispose();
      this.prepare(panel);
      this.showRun(panel, traceId);
    },
  };

  private showRun(panel: vscode.WebviewPanel, traceId: string): void {
    this.runPanels.set(traceId, panel);
    const { store } = this.services;
    const batcher = new SpanBatcher((spans) => post(panel, { type: 'spans', spans }));
    const subscriptions = [
      store.onDidUpdateSpan((span) => span.traceId === traceId && batcher.add(span)),
      store.onDidFinishRun((result) => {
        batcher.flush();
        post(panel, { type: 'runFinished', result });
      }),
    ];
    const endpoint = {
      post: (message: ToWebview) => post(panel, message),
      ready: () =>
        void loadTrace(this.services, traceId).then(
          (spans) => {
            batcher.clear();
            panel.title = titleOf(spans);
            const result = store.resultOf(traceId);
            post(panel, { type: 'reset', spans, runs: result ? [result] : [] });
            post(panel, { type: 'reveal', traceId });
          },
          (error: unknown) => void showWarning(vscode.l10n.t('could not load that run: {0}', errorText(error))),
        ),
      reveal: (id: string, spanId?: string) => post(panel, { type: 'reveal', traceId: id, ...(spanId ? { spanId } : {}) }),
    };
    panel.webview.onDidReceiveMessage((message: unknown) => answerViewer(message, endpoint, this.services));
    panel.onDidDispose(() => {
      this.runPanels.delete(traceId);
      batcher.dispose();
      for (const s of subscriptions) s.dispose();
    });
  }

  compare(left: string, right: string): void {
    const panel = this.create(vscode.l10n.t('Compare runs'));
    const endpoint = {
      post: (message: ToWebview) => post(panel, message),
      ready: () =>
        void Promise.all([loadTrace(this.services, left), loadTrace(this.services, right)]).then(
          ([a, b]) => post(panel, { type: 'compare', left: a, right: b }),
          (error: unknown) => void showWarning(vscode.l10n.t('could not load the runs to compare: {0}', errorText(error))),
        ),
      reveal: () => undefined,
    };
    panel.webview.onDidReceiveMessage((message: unknown) => answerViewer(message, endpoint, this.services));
  }

  dispose(): void {
    for (const panel of this.runPanels.values()) panel.dispose();
  }

  private create(title: string): vscode.WebviewPanel {
    const panel = vscode.window.createWebviewPanel(TracePanels.viewType, title, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [viewerRoot(this.extensionUri)] });
    this.prepare(panel);
    return panel;
  }

  private prepare(panel: vscode.WebviewPanel): void {
    panel.webview.options = { enableScripts: true, localResourceRoots: [viewerRoot(this.extensionUri)] };
    panel.iconPath = new vscode.ThemeIcon('pulse');
    panel.webview.html = viewerHtml(panel.webview, this.extensionUri, 'panel');
  }
}

function post(panel: vscode.WebviewPanel, message: ToWebview): void {
  void panel.webview.postMessage(message);
}

function titleOf(spans: readonly SpanData[]): string {
  const goal = spans.find((s) => s.parentSpanId === undefined)?.attributes['keel.run.goal'];
  const title = typeof goal === 'string' && goal ? goal : vscode.l10n.t('Run');
  return title.length > TITLE_CHARS ? `${title.slice(0, TITLE_CHARS - 1)}…` : title;
}
