import type { Connection } from 'vscode-languageserver/node';
import { AlertsChangedNotification, AlertsSetRulesRequest, MetricsChangedNotification, MetricsGetRequest, type AlertsChanged } from '../../protocol/rpc';
import type { AgentHost } from '../agentHost';
import { onValidatedRequest } from '../validatedHandlers';

/** `metrics/changed` at most this often: a burst of runs ending is one refresh of the Metrics view. */
const CHANGED_EVERY_MS = 2000;

/** The Metrics view's data and the alert rules; `changed` is the host's `metricsChanged` port. */
export function serveMetrics(connection: Connection, host: AgentHost, changed: () => void): void {
  onValidatedRequest(connection, MetricsGetRequest, ({ window }) => {
    const loading = host.metrics.loadHistory();
    const snapshot = host.metrics.snapshot(window);
    // An answer given before the past was read says so; the view asks again when it has been.
    if (snapshot.loadingHistory) void loading.then(changed);
    return snapshot;
  });
  onValidatedRequest(connection, AlertsSetRulesRequest, async ({ rules }) => ({ active: await host.alerts.setRules(rules) }));
}

/** The host's `alertsChanged` port, as a notification to the extension. */
export function alertsNotifier(connection: Connection): (change: AlertsChanged) => void {
  return (change) => void connection.sendNotification(AlertsChangedNotification.type, change);
}

/** The host's `metricsChanged` port: a notification at most every two seconds, the last change always told. */
export function metricsNotifier(connection: Connection): () => void {
  let timer: NodeJS.Timeout | undefined;
  let pending = false;
  const send = () => {
    timer = undefined;
    if (!pending) return;
    pending = false;
    void connection.sendNotification(MetricsChangedNotification.type);
    timer = setTimeout(send, CHANGED_EVERY_MS);
  };
  return () => {
    pending = true;
    if (!timer) send();
  };
}
