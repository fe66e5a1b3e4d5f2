import * as l10n from '@vscode/l10n';
import type { RunListEntry, RunState } from '../../protocol/rpc/runs';
import type { RunAction } from '../../protocol/runsView';
import { runStateLabel } from '../../protocol/stateLabels';

/**
 * The Runs list's words, translated when they are asked for (after the page's translations are loaded, never at
 * import). No DOM here, so it is unit-tested.
 */

export type ButtonAction = Exclude<RunAction, 'continue' | 'steer'>;

/** The state's word, as everywhere, except that the list says whom a waiting run waits on. */
export function stateLabel(state: RunState): string {
  return state === 'waiting' ? l10n.t('waiting on you') : runStateLabel(state);
}

export function buttonLabel(action: ButtonAction): string {
  switch (action) {
    case 'resume': return l10n.t('Resume');
    case 'retry': return l10n.t('Retry');
    case 'showApprovals': return l10n.t('Answer');
    case 'cancel': return l10n.t('Cancel');
    case 'undo': return l10n.t('Undo…');
    case 'dismiss': return l10n.t('Dismiss');
    case 'openTrace': return l10n.t('Open Trace');
  }
}

export function composeText(mode: 'continue' | 'steer'): { readonly label: string; readonly submit: string; readonly placeholder: string } {
  return mode === 'continue'
    ? { label: l10n.t('Continue the run with a new message:'), submit: l10n.t('Continue'), placeholder: l10n.t('e.g. Now add a test for it') }
    : { label: l10n.t('Steer the run: the agent reads this at its next step.'), submit: l10n.t('Steer'), placeholder: l10n.t('e.g. Leave the tests alone') };
}

/** Who wrote a message in the conversation. */
export function speaker(message: { readonly role: 'user'; readonly kind: 'goal' | 'continue' | 'steer' } | { readonly role: 'assistant'; readonly agent?: string | undefined }, mainAgent: string | undefined): string {
  if (message.role === 'user') return message.kind === 'goal' ? l10n.t('You') : message.kind === 'continue' ? l10n.t('You (follow-up)') : l10n.t('You (steering)');
  return message.agent && message.agent !== mainAgent ? l10n.t('Subagent {0}', message.agent) : l10n.t('Agent');
}

/** "4 runs: 1 waiting on you, 1 running": the view's title already says Runs, so its heading counts them. */
export function summary(runs: readonly RunListEntry[]): string {
  if (runs.length === 0) return l10n.t('Runs');
  const notable = (['waiting', 'running', 'interrupted', 'failed'] as const)
    .map((state) => [state, runs.filter((run) => run.state === state).length] as const)
    .filter(([, count]) => count > 0)
    .map(([state, count]) => l10n.t('{0} {1}', count, stateLabel(state)));
  const total = runs.length === 1 ? l10n.t('1 run') : l10n.t('{0} runs', runs.length);
  return notable.length > 0 ? l10n.t('{0}: {1}', total, notable.join(', ')) : total;
}

/** A run's facts after its time: steps, files changed, workflow, agent. */
export function facts(run: RunListEntry): string[] {
  const parts = [run.steps === 1 ? l10n.t('1 step') : l10n.t('{0} steps', run.steps)];
  if (run.filesChanged > 0) parts.push(run.filesChanged === 1 ? l10n.t('1 file changed') : l10n.t('{0} files changed', run.filesChanged));
  if (run.kind === 'workflow') parts.push(l10n.t('workflow'));
  if (run.agent && run.agent !== 'keel') parts.push(run.agent);
  return parts;
}

export function earlierMessages(count: number): string {
  return count === 1 ? l10n.t('1 earlier message: Open Trace shows the whole run.') : l10n.t('{0} earlier messages: Open Trace shows the whole run.', count);
}
