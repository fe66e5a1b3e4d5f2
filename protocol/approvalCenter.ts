/**
 * Messages between the extension and the approval center, the Keel panel's list of every question waiting for the
 * user. Both ends are typed by these unions; what the webview sends is checked by `parseFromApprovalCenter`.
 */

import type { AllowRuleProposal, AllowScope, CommandReview } from './rpc/approvals';
import { visibleControls } from './displayText';

/** One question waiting for an answer, as the panel shows it. */
export interface PendingQuestion {
  readonly approvalId: string;
  /**
   * `question`: an agent's question or a stuck agent, answered in a text box. `repeat`: a resumed run's call that may
   * have run before Keel stopped: approve runs it again, deny skips it, stop ends the run.
   */
  readonly kind: 'edit' | 'tool' | 'budget' | 'question' | 'repeat';
  readonly runId: string;
  /** The run's goal, when the extension started it: "which agent asks". */
  readonly goal?: string;
  readonly agent?: string;
  /** One line: "Run npm test?", "Edit src/a.ts", "Continue over the run budget?". */
  readonly title: string;
  /** Why the user is asked: the tool's risk and source, a hook or policy reason, the budget that would be passed. */
  readonly why: string;
  /** A tool call's arguments (pretty JSON), a budget's figures. */
  readonly detail?: string;
  /** Edits: the replaced and the new text, with the file and line. */
  readonly diff?: { readonly path: string; readonly line: number; readonly oldText: string; readonly newText: string };
  readonly canAlwaysAllow: boolean;
  /** Tool calls: the arguments may be corrected before approving. */
  readonly canEditArguments: boolean;
  /** A command: its parts, the rule that decided each, and whether it runs sandboxed. */
  readonly command?: CommandReview;
  /**
   * "Always allow…" for calls like this one: the rules and where they may go (`places`: this run, and the policies the
   * extension can write here), each previewed exactly; or why no rule is offered.
   */
  readonly alwaysAllow?: (AllowRuleProposal & { readonly places: readonly AllowScope[] }) | { readonly refused: string };
  /** Questions: Keel stopped a stuck agent and asks for guidance (else the agent asks). */
  readonly stuck?: boolean;
  readonly askedAt: number;
}

export type ToApprovalCenter = { readonly type: 'pending'; readonly questions: readonly PendingQuestion[] };

export type FromApprovalCenter =
  | { readonly type: 'ready' }
  | { readonly type: 'approve'; readonly approvalId: string; readonly always?: boolean; readonly arguments?: string; readonly alwaysAllow?: AllowScope }
  | { readonly type: 'deny'; readonly approvalId: string; readonly reason?: string }
  | { readonly type: 'open'; readonly approvalId: string }
  /** Questions: the written answer or guidance; `deny` declines to answer. */
  | { readonly type: 'answer'; readonly approvalId: string; readonly text: string }
  /** Questions and repeats: end the run. */
  | { readonly type: 'stop'; readonly approvalId: string };

const ALLOW_SCOPES: readonly AllowScope[] = ['run', 'workspace', 'user'];

/** The longest reason or argument text the panel may send; a message is refused past it. */
export const MAX_ANSWER_CHARS = 256 * 1024;

/** The message if it is one the panel may send, else undefined: a webview is not trusted to send well-formed data. */
export function parseFromApprovalCenter(value: unknown): FromApprovalCenter | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const text = (v: unknown) => v === undefined || (typeof v === 'string' && v.length <= MAX_ANSWER_CHARS);
  const id = typeof m.approvalId === 'string' && m.approvalId.length > 0 && m.approvalId.length <= 200;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'approve':
      if (!id || !(m.always === undefined || typeof m.always === 'boolean') || !text(m.arguments)) return undefined;
      if (m.alwaysAllow !== undefined && !ALLOW_SCOPES.includes(m.alwaysAllow as AllowScope)) return undefined;
      return {
        type: 'approve',
        approvalId: m.approvalId as string,
        ...(m.always ? { always: true } : {}),
        ...(m.arguments !== undefined ? { arguments: m.arguments as string } : {}),
        ...(m.alwaysAllow !== undefined ? { alwaysAllow: m.alwaysAllow as AllowScope } : {}),
      };
    case 'deny':
      if (!id || !text(m.reason)) return undefined;
      return { type: 'deny', approvalId: m.approvalId as string, ...(typeof m.reason === 'string' && m.reason.trim() ? { reason: m.reason.trim() } : {}) };
    case 'open':
      return id ? { type: 'open', approvalId: m.approvalId as string } : undefined;
    case 'answer':
      return id && typeof m.text === 'string' && text(m.text) ? { type: 'answer', approvalId: m.approvalId as string, text: m.text } : undefined;
    case 'stop':
      return id ? { type: 'stop', approvalId: m.approvalId as string } : undefined;
    default:
      return undefined;
  }
}

/**
 * The question with what a model, a tool or a file wrote in it (the title, the arguments, the command, the diff, the
 * goal) showing its control characters and bidirectional overrides as escapes, so the card reads as what is approved.
 */
export function shownAsWritten(q: PendingQuestion): PendingQuestion {
  const shown = visibleControls;
  return {
    ...q,
    title: shown(q.title),
    ...(q.goal !== undefined ? { goal: shown(q.goal) } : {}),
    ...(q.detail !== undefined ? { detail: shown(q.detail) } : {}),
    ...(q.diff ? { diff: { ...q.diff, path: shown(q.diff.path), oldText: shown(q.diff.oldText), newText: shown(q.diff.newText) } } : {}),
    ...(q.command ? { command: { ...q.command, line: shown(q.command.line), parts: q.command.parts.map((part) => ({ ...part, source: shown(part.source) })) } } : {}),
  };
}
