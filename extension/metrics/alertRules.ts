import * as vscode from 'vscode';
import type { AlertRules } from '../../protocol/metrics';
import { alertRuleSchemas } from '../../protocol/rpc';

/**
 * The alert rules as `keel.alerts.*` says. A setting that does not fit its schema turns its rule off, with a warning
 * naming it, rather than failing every other rule with it.
 */
export function readAlertRules(log: vscode.LogOutputChannel): AlertRules {
  const config = vscode.workspace.getConfiguration('keel.alerts');
  const read = <K extends keyof AlertRules>(key: K, setting: string, off: AlertRules[K]): AlertRules[K] => {
    const parsed = alertRuleSchemas[key].safeParse(config.get(setting, off));
    if (parsed.success) return parsed.data as AlertRules[K];
    log.warn(`The setting "keel.alerts.${setting}" is not valid (${parsed.error.issues[0]?.message ?? 'unknown shape'}); that alert is off until it is fixed.`);
    return off;
  };
  return {
    errorRate: read('errorRate', 'errorRate', null),
    costPerDayUsd: read('costPerDayUsd', 'costPerDayUsd', null),
    stuckRunMinutes: read('stuckRunMinutes', 'stuckRunMinutes', null),
    p95Latency: read('p95Latency', 'p95Latency', null),
    deadLetters: read('deadLetters', 'deadLetterQueue', false),
  };
}
