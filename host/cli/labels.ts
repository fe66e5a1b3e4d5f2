/**
 * The words the CLI shows for a run's state and a tool's risk. The data keeps its English values (scripts read
 * them, `keel runs` lines are grepped); a person reads them in the locale's language. The English words are the same
 * as the panel's, so one translation serves both.
 */
import * as l10n from '@vscode/l10n';
import type { RiskClass, RunOutcome } from '../../protocol/run';
import type { RunState } from '../../protocol/rpc';

export function stateLabel(state: RunState | RunOutcome): string {
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
