import * as vscode from 'vscode';
import { SpanNotification } from '../../protocol/rpc';
import type { AgentHost } from '../host/agentHost';
import { TraceStore } from './traceStore';
import { TraceViewProvider } from './traceViewProvider';

const WELCOMED_KEY = 'keel.welcomed';

/** The spans the host reports, kept in a store and shown in the sidebar's trace viewer. */
export function registerTraces(context: vscode.ExtensionContext, host: AgentHost): TraceStore {
  const store = new TraceStore();
  const view = new TraceViewProvider(context.extensionUri, store);
  context.subscriptions.push(
    store,
    view,
    vscode.window.registerWebviewViewProvider(TraceViewProvider.viewId, view),
    host.onClient((client) => client.onNotification(SpanNotification.type, (span) => store.upsert(span))),
  );
  return store;
}

/** First use: show where runs appear. Activation stays cheap; the host starts on the first task. */
export function showTracesOnFirstUse(context: vscode.ExtensionContext): void {
  if (context.globalState.get<boolean>(WELCOMED_KEY)) return;
  void context.globalState.update(WELCOMED_KEY, true);
  void vscode.commands.executeCommand('workbench.view.extension.keel');
}
