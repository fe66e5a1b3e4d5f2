import * as vscode from 'vscode';
import type { ActiveAlert } from '../../protocol/metrics';
import { AlertsChangedNotification, AlertsSetRulesRequest } from '../../protocol/rpc';
import { errorText } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { readAlertRules } from './alertRules';

export interface Alerts {
  /** The alerts that fired and have not cleared, as the host last said. */
  active(): readonly ActiveAlert[];
  readonly onDidChange: vscode.Event<void>;
}

/**
 * The host's alerts: the rules of `keel.alerts.*` sent to it whenever it starts or they change, a warning
 * notification each time one fires (the host fires each once per episode), and a status bar warning while any is
 * active.
 */
export function registerAlerts(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel): Alerts {
  let active: readonly ActiveAlert[] = [];
  const changed = new vscode.EventEmitter<void>();
  const item = vscode.window.createStatusBarItem('keel.alerts', vscode.StatusBarAlignment.Left, 49);
  item.name = vscode.l10n.t('Keel Alerts');
  item.command = 'keel.showMetrics';
  item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');

  const show = (alerts: readonly ActiveAlert[]) => {
    active = alerts;
    item.text = alerts.length === 1 ? vscode.l10n.t('$(warning) Keel: 1 alert') : vscode.l10n.t('$(warning) Keel: {0} alerts', alerts.length);
    item.tooltip = `${alerts.map((alert) => alert.message).join('\n')}\n${vscode.l10n.t('Click to show the metrics.')}`;
    const count = alerts.length === 1 ? vscode.l10n.t('Keel: 1 active alert.') : vscode.l10n.t('Keel: {0} active alerts.', alerts.length);
    item.accessibilityInformation = { label: `${count} ${alerts.map((a) => a.message).join(' ')}`, role: 'button' };
    if (alerts.length > 0) item.show();
    else item.hide();
    changed.fire();
  };

  const sendRules = async () => {
    if (host.state !== 'running') return;
    try {
      const client = await host.ensureStarted();
      show((await client.sendRequest(AlertsSetRulesRequest.type, { rules: readAlertRules(log) })).active);
    } catch (error) {
      log.warn(`Alert rules not applied: ${errorText(error)}`);
    }
  };

  context.subscriptions.push(
    item,
    changed,
    host.onDidChangeState((state) => state === 'running' && void sendRules()),
    vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration('keel.alerts') && void sendRules()),
    host.onClient((client) => client.onNotification(AlertsChangedNotification.type, (change) => {
      show(change.active);
      for (const alert of change.fired) void notify(alert);
    })),
    // A host that stopped raises nothing; its alerts go with it until the next one judges the rules again.
    host.onDidChangeState((state) => state !== 'running' && active.length > 0 && show([])),
  );
  return { active: () => active, onDidChange: changed.event };
}

async function notify(alert: ActiveAlert): Promise<void> {
  const showMetrics = vscode.l10n.t('Show Metrics');
  const showTrace = vscode.l10n.t('Show Trace');
  const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Keel alert: {0}', alert.message), showMetrics, ...(alert.traceId ? [showTrace] : []));
  if (choice === showMetrics) await vscode.commands.executeCommand('keel.showMetrics');
  if (choice === showTrace) await vscode.commands.executeCommand('keel.traces.focus');
}
