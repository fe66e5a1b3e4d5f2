import * as vscode from 'vscode';
import type { MetricsWindow, ToMetricsView } from '../../protocol/metrics';
import { MetricsChangedNotification, MetricsGetRequest } from '../../protocol/rpc';
import type { AgentHost } from '../host/agentHost';
import { registerAlerts, type Alerts } from './alertsFeature';
import { MetricsViewProvider } from './metricsViewProvider';

export interface Metrics {
  readonly alerts: Alerts;
  /** One window's metrics and the active alerts, as the view gets them; starts the host if it is not running. */
  load(window: MetricsWindow): Promise<ToMetricsView>;
}

/** The Metrics view, "Keel: Show Metrics", and the alerts shown beside them. */
export function registerMetrics(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel): Metrics {
  const alerts = registerAlerts(context, host, log);
  const load = async (window: MetricsWindow, start: boolean): Promise<ToMetricsView> => {
    // Opening the sidebar must not start the host; the user's Refresh or "Show Metrics" may.
    if (!start && host.state !== 'running') {
      return { type: 'unavailable', message: vscode.l10n.t('Metrics come from the agent host, which starts with the first run. Run a task, or choose Refresh to start it now.') };
    }
    const client = await host.ensureStarted();
    const snapshot = await client.sendRequest(MetricsGetRequest.type, { window });
    return { type: 'snapshot', snapshot, alerts: alerts.active() };
  };
  const view = new MetricsViewProvider(context.extensionUri, load, log);
  context.subscriptions.push(
    view,
    vscode.window.registerWebviewViewProvider(MetricsViewProvider.viewId, view),
    vscode.commands.registerCommand('keel.showMetrics', async () => {
      await vscode.commands.executeCommand(`${MetricsViewProvider.viewId}.focus`);
      await view.refresh(true);
    }),
    host.onClient((client) => client.onNotification(MetricsChangedNotification.type, () => void view.refresh(false))),
    host.onDidChangeState((state) => state === 'running' && void view.refresh(false)),
    alerts.onDidChange(() => void view.refresh(false)),
  );
  return { alerts, load: (window) => load(window, true) };
}
