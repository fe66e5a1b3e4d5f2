/**
 * Messages between the extension and the Runs list, the Keel panel's view of every run: its state, its conversation
 * and the actions on it. Both ends are typed by these unions; what the webview sends is checked by `parseFromRunsView`.
 */
import type { RunListEntry, RunMessage, RunState } from './rpc/runs';

export type ToRunsView =
  /** The runs as the host lists them, newest first; `problem` says why the list could not be loaded. */
  | { readonly type: 'runs'; readonly runs: readonly RunListEntry[]; readonly problem?: string }
  /**
   * A run's conversation, the answer to `select` and sent again while the run goes on: its newest messages, and how
   * many `earlier` ones are left to the trace.
   */
  | { readonly type: 'transcript'; readonly runId: string; readonly messages: readonly RunMessage[]; readonly earlier: number; readonly problem?: string }
  /** An action on a run ended; `problem` says why it did not happen, so the panel can show it beside the run. */
  | { readonly type: 'actionDone'; readonly runId: string; readonly action: RunAction; readonly problem?: string };

/** What the panel's buttons ask for; `continue` and `steer` carry the user's message. */
export type RunAction = 'resume' | 'retry' | 'cancel' | 'dismiss' | 'undo' | 'openTrace' | 'showApprovals' | 'continue' | 'steer';

/**
 * The actions each state offers, in the order the panel shows them. The extension checks an action against the run's
 * state as it last listed it before acting, whatever the panel sent.
 */
export const RUN_ACTIONS: Readonly<Record<RunState, readonly RunAction[]>> = {
  running: ['steer', 'cancel', 'openTrace'],
  waiting: ['showApprovals', 'steer', 'cancel', 'openTrace'],
  interrupted: ['resume', 'dismiss', 'openTrace'],
  failed: ['retry', 'continue', 'undo', 'dismiss', 'openTrace'],
  succeeded: ['continue', 'undo', 'openTrace'],
  cancelled: ['continue', 'undo', 'openTrace'],
};

/** Whether a run offers an action now: undo only when it changed files. */
export function offers(run: Pick<RunListEntry, 'state' | 'filesChanged'>, action: RunAction): boolean {
  return RUN_ACTIONS[run.state].includes(action) && (action !== 'undo' || run.filesChanged > 0);
}

/** The longest follow-up or steering message the panel may send, as the host accepts it. */
export const MAX_RUN_MESSAGE_CHARS = 20_000;

export type FromRunsView =
  | { readonly type: 'ready' }
  | { readonly type: 'runTask' }
  /** The run whose conversation the panel shows; none to stop following one. */
  | { readonly type: 'select'; readonly runId?: string }
  | { readonly type: 'action'; readonly runId: string; readonly action: Exclude<RunAction, 'continue' | 'steer'> }
  | { readonly type: 'message'; readonly runId: string; readonly action: 'continue' | 'steer'; readonly text: string };

const BUTTON_ACTIONS: ReadonlySet<string> = new Set(['resume', 'retry', 'cancel', 'dismiss', 'undo', 'openTrace', 'showApprovals']);

/**
 * The message if it is one the panel may send, else undefined: a webview showing model output is not trusted. Hand
 * written rather than with zod, which the panel's bundle would otherwise carry for its constants.
 */
export function parseFromRunsView(value: unknown): FromRunsView | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const runId = typeof m.runId === 'string' && m.runId.length > 0 && m.runId.length <= 200 ? m.runId : undefined;
  switch (m.type) {
    case 'ready':
    case 'runTask':
      return { type: m.type };
    case 'select':
      if (m.runId === undefined) return { type: 'select' };
      return runId ? { type: 'select', runId } : undefined;
    case 'action':
      if (!runId || typeof m.action !== 'string' || !BUTTON_ACTIONS.has(m.action)) return undefined;
      return { type: 'action', runId, action: m.action as Exclude<RunAction, 'continue' | 'steer'> };
    case 'message': {
      const text = typeof m.text === 'string' && m.text.length <= MAX_RUN_MESSAGE_CHARS && m.text.trim() !== '' ? m.text : undefined;
      if (!runId || !text || (m.action !== 'continue' && m.action !== 'steer')) return undefined;
      return { type: 'message', runId, action: m.action, text };
    }
    default:
      return undefined;
  }
}
