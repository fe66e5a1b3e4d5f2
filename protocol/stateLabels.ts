/**
 * The words shown for states, risks and levels that travel as data (`'failed'`, `'needs-sign-in'`, `'execute'`): the
 * data keeps its value (scripts read it, `keel runs` lines are grepped), a person reads it in the display language.
 * Shared by the extension, the webviews and the CLI, so one translation serves all three.
 */
import * as l10n from '@vscode/l10n';
import type { McpServerInfo, RunState } from './rpc';
import type { RiskClass, RunOutcome } from './run';

export function runStateLabel(state: RunState | RunOutcome): string {
  switch (state) {
    case 'running': return l10n.t('running');
    case 'waiting': return l10n.t('waiting');
    case 'interrupted': return l10n.t('interrupted');
    case 'failed': return l10n.t('failed');
    case 'succeeded': return l10n.t('succeeded');
    case 'cancelled': return l10n.t('cancelled');
  }
}

export function riskLabel(risk: RiskClass): string {
  switch (risk) {
    case 'read': return l10n.t('read');
    case 'write': return l10n.t('write');
    case 'execute': return l10n.t('execute');
    case 'network': return l10n.t('network');
    case 'destructive': return l10n.t('destructive');
  }
}

export function mcpStateLabel(state: McpServerInfo['state']): string {
  switch (state) {
    case 'connecting': return l10n.t('connecting');
    case 'connected': return l10n.t('connected');
    case 'needs-sign-in': return l10n.t('needs a sign-in');
    case 'failed': return l10n.t('failed');
    case 'stopped': return l10n.t('stopped');
  }
}

/** A policy's level (`managed`, `user`, `workspace`, `default`, `run`); a level this does not know is shown as it is. */
export function policyLevelLabel(level: string): string {
  switch (level) {
    case 'managed': return l10n.t('managed');
    case 'user': return l10n.t('user');
    case 'workspace': return l10n.t('workspace');
    case 'default': return l10n.t('default');
    case 'run': return l10n.t({ message: 'run', comment: ['the policy a single run was given'] });
    default: return level;
  }
}
