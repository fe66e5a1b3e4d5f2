import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SpanNotification, TraceGetRequest, TraceListRunsRequest } from '../../protocol/rpc';
import type { RunOutcome } from '../../protocol/run';
import type { AgentHost } from '../host/agentHost';
import { TracePanels } from './tracePanels';
import { TraceStore } from './traceStore';
import { TraceViewProvider } from './traceViewProvider';

const WELCOMED_KEY = 'keel.welcomed';

/** The spans the host reports, kept in a store and shown in the sidebar's trace viewer. */
export function registerTraces(context: vscode.ExtensionContext, host: AgentHost): TraceStore {
  const store = new TraceStore();
  const panels = new TracePanels(context.extensionUri, store, () => host.ensureStarted());
  const view = new TraceViewProvider(context.extensionUri, panels.services);
  context.subscriptions.push(
    store,
    panels,
    view,
    vscode.window.registerWebviewViewProvider(TraceViewProvider.viewId, view),
    vscode.window.registerWebviewPanelSerializer(TracePanels.viewType, panels.serializer),
    // The Runs list's "Open Trace": one run's trace in an editor tab, from the host's store if this window lacks it.
    vscode.commands.registerCommand('keel.openRunTrace', (traceId: unknown) => {
      if (typeof traceId === 'string' && /^[0-9a-f]{1,64}$/i.test(traceId)) panels.openRun(traceId);
    }),
    host.onClient((client) => {
      void loadHistory(client, store);
      return client.onNotification(SpanNotification.type, (span) => store.upsert(span));
    }),
  );
  return store;
}

/** Runs the host's trace store keeps: shown again after a window reload or a host restart. */
const HISTORY_RUNS = 30;

async function loadHistory(client: LanguageClient, store: TraceStore): Promise<void> {
  try {
    const { runs } = await client.sendRequest(TraceListRunsRequest.type, { limit: HISTORY_RUNS });
    for (const run of runs.reverse()) {
      if (store.all().some((span) => span.traceId === run.traceId)) continue;
      const { spans } = await client.sendRequest(TraceGetRequest.type, { traceId: run.traceId });
      for (const span of spans) store.upsert(span);
      const root = spans.find((span) => span.parentSpanId === undefined);
      store.finish({ runId: run.runId, outcome: run.outcome as RunOutcome, message: root?.statusMessage ?? (run.outcome === 'interrupted' ? 'The host stopped during this run.' : '') });
    }
  } catch {
    // A host without history (an older one, or an unreadable store) shows only the runs it starts.
  }
}

/** First use: show where runs appear. Activation stays cheap; the host starts on the first task. */
export function showTracesOnFirstUse(context: vscode.ExtensionContext): void {
  if (context.globalState.get<boolean>(WELCOMED_KEY)) return;
  void context.globalState.update(WELCOMED_KEY, true);
  void vscode.commands.executeCommand('workbench.view.extension.keel');
}
