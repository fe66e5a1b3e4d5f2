/**
 * What a trace viewer webview may ask for, answered from the extension's trace store or the host's. Each message
 * is checked against the protocol's schema first: a webview renders model output and is not trusted.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TraceGetRequest, TraceListRunsRequest, TraceSearchRequest, TraceSpanContentRequest } from '../../protocol/rpc';
import type { RunOutcome } from '../../protocol/run';
import type { SpanData } from '../../protocol/trace';
import { parseFromWebview, type FromWebview, type ToWebview } from '../../protocol/webview';
import { errorText, showWarning } from '../errors';
import { openSpanFile } from './openSpanFile';
import type { TraceStore } from './traceStore';

/** How many past runs the history lists. */
const HISTORY_LIMIT = 200;
const SEARCH_LIMIT = 50;

export interface ViewerServices {
  readonly store: TraceStore;
  client(): Promise<LanguageClient>;
  openRunInPanel(traceId: string): void;
  compare(left: string, right: string): void;
}

export interface ViewerEndpoint {
  post(message: ToWebview): void;
  /** The webview (re)loaded: send it what it shows. */
  ready(): void;
  /** A run from the history was opened in this webview. */
  reveal(traceId: string, spanId?: string): void;
}

export async function answerViewer(raw: unknown, endpoint: ViewerEndpoint, services: ViewerServices): Promise<void> {
  const message = parseFromWebview(raw);
  if (!message) return;
  try {
    await answer(message, endpoint, services);
  } catch (error) {
    reportFailure(message, errorText(error), endpoint);
  }
}

async function answer(message: FromWebview, endpoint: ViewerEndpoint, services: ViewerServices): Promise<void> {
  switch (message.type) {
    case 'ready':
      return endpoint.ready();
    case 'clear':
      return services.store.clear();
    case 'runTask':
      return void vscode.commands.executeCommand('keel.runTask');
    case 'openFile':
      return openSpanFile(message.path);
    case 'openInPanel':
      return services.openRunInPanel(message.traceId);
    case 'compare':
      return services.compare(message.traceIds[0], message.traceIds[1]);
    case 'spanContent': {
      const { content } = await (await services.client()).sendRequest(TraceSpanContentRequest.type, { traceId: message.traceId, spanId: message.spanId });
      return endpoint.post({ type: 'spanContent', spanId: message.spanId, content });
    }
    case 'listRuns': {
      const { runs } = await (await services.client()).sendRequest(TraceListRunsRequest.type, { limit: HISTORY_LIMIT, ...(message.outcome ? { outcome: message.outcome } : {}) });
      return endpoint.post({ type: 'history', runs });
    }
    case 'search': {
      const { hits } = await (await services.client()).sendRequest(TraceSearchRequest.type, { text: message.text, limit: SEARCH_LIMIT });
      return endpoint.post({ type: 'searchResults', text: message.text, hits });
    }
    case 'openRun':
      await loadTrace(services, message.traceId);
      return endpoint.reveal(message.traceId, message.spanId);
  }
}

function reportFailure(message: FromWebview, error: string, endpoint: ViewerEndpoint): void {
  if (message.type === 'spanContent') endpoint.post({ type: 'spanContent', spanId: message.spanId, content: null, error });
  else if (message.type === 'listRuns') endpoint.post({ type: 'history', runs: [], error });
  else if (message.type === 'search') endpoint.post({ type: 'searchResults', text: message.text, hits: [], error });
  else void showWarning(vscode.l10n.t('the trace viewer could not {0}: {1}', message.type === 'openRun' ? 'open that run' : 'do that', error));
}

/** A trace's spans: from the extension's store if it keeps them, else from the host's store (and kept from now). */
export async function loadTrace(services: Pick<ViewerServices, 'store' | 'client'>, traceId: string): Promise<SpanData[]> {
  const { store } = services;
  if (store.has(traceId)) return store.spansOf(traceId);
  const { spans } = await (await services.client()).sendRequest(TraceGetRequest.type, { traceId });
  for (const span of spans) store.upsert(span);
  const root = spans.find((span) => span.parentSpanId === undefined);
  const runId = root?.attributes['keel.run.id'];
  const outcome = root?.attributes['keel.run.outcome'];
  if (root && typeof runId === 'string' && isRunOutcome(outcome)) store.finish({ runId, outcome, message: root.statusMessage ?? '' });
  return spans;
}

function isRunOutcome(value: unknown): value is RunOutcome {
  return value === 'succeeded' || value === 'failed' || value === 'cancelled' || value === 'interrupted';
}
