import * as vscode from 'vscode';
import type { ToWebview } from '../../protocol/webview';
import { SpanBatcher } from './spanBatcher';
import type { TraceStore } from './traceStore';
import { viewerHtml, viewerRoot } from './viewerHtml';
import { answerViewer, type ViewerServices } from './viewerRequests';

/** The sidebar trace viewer: the runs of the extension's store as they stream in, and the host's history. */
export class TraceViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'keel.traces';
  private view: vscode.WebviewView | undefined;
  private readonly batcher = new SpanBatcher((spans) => this.post({ type: 'spans', spans }));
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri, private readonly services: ViewerServices) {
    const { store } = services;
    this.disposables.push(
      store.onDidUpdateSpan((span) => this.batcher.add(span)),
      store.onDidFinishRun((result) => {
        this.batcher.flush();
        this.post({ type: 'runFinished', result });
      }),
      store.onDidReset(() => this.postReset(store)),
      store.onDidForget((traceIds) => {
        this.batcher.forget(traceIds);
        this.post({ type: 'forget', traceIds });
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [viewerRoot(this.extensionUri)] };
    view.webview.html = viewerHtml(view.webview, this.extensionUri, 'sidebar');
    const endpoint = {
      post: (message: ToWebview) => this.post(message),
      ready: () => this.postReset(this.services.store),
      reveal: (traceId: string, spanId?: string) => {
        this.batcher.flush();
        this.post({ type: 'reveal', traceId, ...(spanId ? { spanId } : {}) });
      },
    };
    view.webview.onDidReceiveMessage((message: unknown) => answerViewer(message, endpoint, this.services), undefined, this.disposables);
    view.onDidDispose(() => (this.view = undefined), undefined, this.disposables);
  }

  dispose(): void {
    this.batcher.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private postReset(store: TraceStore): void {
    this.batcher.clear();
    this.post({ type: 'reset', spans: store.all(), runs: store.runs() });
  }

  private post(message: ToWebview): void {
    void this.view?.webview.postMessage(message);
  }
}
