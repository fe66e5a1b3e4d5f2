/** Alert rules and the alerts they raise (`alerts/…`). */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';
import type { ActiveAlert, AlertRules } from '../metrics';
import { integer } from '../params';
import { metricsWindow } from './metrics';

const seconds = z.number().positive().max(7 * 24 * 3600);

/** Each rule's schema: the extension checks the settings one by one, so one mistake turns off only its own rule. */
export const alertRuleSchemas = {
  errorRate: z.object({ threshold: z.number().min(0).max(1), window: metricsWindow, minRuns: integer(1, 100_000) }).readonly().nullable(),
  costPerDayUsd: z.number().min(0).max(1_000_000).nullable(),
  stuckRunMinutes: z.number().positive().max(7 * 24 * 60).nullable(),
  p95Latency: z.object({ of: z.enum(['run', 'modelCall', 'toolCall']), seconds, window: metricsWindow }).readonly().nullable(),
  deadLetters: z.boolean(),
};

export const alertRulesSchema = z.object(alertRuleSchemas).readonly() satisfies z.ZodType<AlertRules>;

export namespace AlertsSetRulesRequest {
  export const params = z.object({ rules: alertRulesSchema }).readonly();
  /** Extension → host: the rules from `keel.alerts.*`, at start and when they change; answers the alerts active under them. */
  export const type = new RequestType<z.infer<typeof params>, { active: ActiveAlert[] }, void>('alerts/setRules');
}

/** What changed: the alerts that fired or cleared now, and every alert active after the change. */
export interface AlertsChanged {
  readonly fired: readonly ActiveAlert[];
  readonly cleared: readonly ActiveAlert[];
  readonly active: readonly ActiveAlert[];
}

export namespace AlertsChangedNotification {
  /** Host → extension: an alert fired or cleared (each fires once per episode: again only after it cleared). */
  export const type = new NotificationType<AlertsChanged>('alerts/changed');
}
