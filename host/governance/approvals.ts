import { randomUUID } from 'node:crypto';
import * as l10n from '@vscode/l10n';
import type { BudgetEscalationParams } from '../../protocol/models';
import type { AskUserAnswer, AskUserParams, ElicitAnswer, ElicitParams, RepeatChoice, RepeatStepParams, ReviewToolCallParams } from '../../protocol/rpc';
import type { EditDecision, ProposedEdit, ToolCallDecision } from '../../protocol/run';
import type { AttributeValue } from '../../protocol/trace';
import type { Span } from '../observability/tracer';
import { redacted } from '../observability/redaction';
import { errorMessage } from '../observability/tracer';
import type { AuditSink } from './auditLog';
import type { ConsentPort } from './consent';
import type { PolicyDecision } from './policy/runPolicy';

/** What tools see of the broker: the two questions they may ask, and the record of what the policy decided. */
export type Approvals = Pick<ApprovalBroker, 'reviewEdit' | 'reviewToolCall' | 'recordPolicyDecision'>;

/** Where a question is asked from: the run (or server request) it belongs to, the span it hangs under, its cancellation. */
export interface At {
  readonly runId: string;
  readonly parent: Span;
  readonly signal: AbortSignal;
}

/** What the broker records of an answer, and what counts when nobody answers in time. */
interface Question<D> {
  readonly subject: string;
  readonly attributes: Record<string, AttributeValue>;
  /** What the user is shown, recorded as the span's `keel.approval.question` content. */
  readonly asked: unknown;
  readonly ask: (approvalId: string, signal: AbortSignal) => Promise<D>;
  readonly decision: (answer: D) => string;
  readonly onTimeout: (reason: string) => D;
  /** Why the policy asks, recorded with the answer. */
  readonly policy?: { readonly rule?: string; readonly level: string };
}

/**
 * The one path by which anything asks the user: edits, tool calls, MCP first use and drift, sampling, elicitation and
 * budgets. Each question is an `approval` span with the decision and who made it; it ends with the run's
 * cancellation (the prompt is taken down) and counts as refused when nobody answers within the timeout, so nothing
 * ever waits forever.
 */
export class ApprovalBroker {
  /** `agent` names the asking agent in each edit and tool question, since a run's subagents ask side by side. */
  constructor(private readonly consent: ConsentPort, private readonly timeoutMs: number, private readonly audit?: AuditSink, private readonly agent?: string) {}

  private asker(): { agent?: string } {
    return this.agent ? { agent: this.agent } : {};
  }

  reviewEdit(edit: ProposedEdit, at: At): Promise<EditDecision> {
    return this.decide(at, {
      subject: 'propose_edit',
      attributes: { 'keel.file.path': edit.path, 'keel.edit.start_line': edit.range.start.line + 1, 'keel.edit.end_line': edit.range.end.line + 1 },
      asked: edit,
      ask: (approvalId, signal) => this.consent.reviewEdit({ runId: at.runId, approvalId, edit, ...this.asker() }, signal),
      decision: (answer) => answer.decision,
      onTimeout: (reason) => ({ decision: 'denied', reason }),
    });
  }

  reviewToolCall(review: Omit<ReviewToolCallParams, 'runId' | 'approvalId'>, at: At): Promise<ToolCallDecision> {
    return this.decide(at, {
      subject: review.tool,
      attributes: { 'keel.tool.risk': review.risk, 'keel.tool.source': review.source, ...policyAttributes(review.policy) },
      asked: { title: review.title, detail: review.detail },
      ask: (approvalId, signal) => this.consent.reviewToolCall({ ...review, runId: at.runId, approvalId, ...this.asker() }, signal),
      decision: (answer) => answer.decision,
      onTimeout: (reason) => ({ decision: 'denied', reason }),
      policy: review.policy,
    });
  }

  /**
   * Records what the policy decided without asking (a denial, or a side effect it allows on autopilot): an `approval`
   * span decided by `policy`, and the audit record, on disk before the call proceeds or is refused.
   */
  async recordPolicyDecision(subject: string, decision: PolicyDecision, at: At): Promise<void> {
    const verdict = decision.verdict === 'deny' ? 'denied' : 'approved';
    const span = at.parent.child(`approval ${subject}`, 'approval', { 'keel.run.id': at.runId, 'keel.approval.decision': verdict, 'keel.approval.decided_by': 'policy', ...policyAttributes(decision) });
    span.setContent({ 'keel.approval.answer': { decision: verdict, decided_by: 'policy', reason: decision.reason, level: decision.level, ...(decision.rule ? { rule: decision.rule } : {}) } });
    try {
      await this.audit?.append({ kind: 'approval', runId: at.runId, subject, decision: verdict, decidedBy: 'policy', reason: decision.reason, level: decision.level, ...(decision.rule ? { rule: decision.rule } : {}) });
    } finally {
      span.end(decision.verdict === 'deny' ? 'error' : 'ok', decision.verdict === 'deny' ? l10n.t('Denied by policy: {0}', decision.reason) : undefined);
    }
  }

  /** Whether a run may go over a budget; no answer in time keeps the budget. */
  approveBudget(escalation: BudgetEscalationParams, at: At): Promise<boolean> {
    return this.decide(at, {
      subject: `budget ${escalation.scope}`,
      attributes: { 'keel.budget.scope': escalation.scope, 'keel.budget.limit_usd': escalation.limitUsd, 'keel.budget.spent_usd': escalation.spentUsd },
      asked: escalation,
      ask: (_approvalId, signal) => this.consent.approveBudget(escalation, signal),
      decision: (approved) => (approved ? 'approved' : 'denied'),
      onTimeout: () => false,
    });
  }

  /** A resumed run's step that may have run before the host stopped; no answer in time stops the run, repeating nothing. */
  confirmRepeat(question: Omit<RepeatStepParams, 'runId' | 'approvalId'>, at: At): Promise<RepeatChoice> {
    return this.decide<RepeatChoice>(at, {
      subject: `repeat ${question.tool}`,
      attributes: { 'keel.tool.name': question.tool },
      asked: { title: question.title, detail: question.detail },
      ask: (approvalId, signal) => this.consent.confirmRepeat({ ...question, runId: at.runId, approvalId }, signal),
      decision: (choice) => choice,
      onTimeout: () => 'stop',
    });
  }

  /**
   * An agent's question (`ask_user`) or guidance for a stuck agent, asked in the asking agent's name. No answer in time
   * counts as declined: the agent goes on without an answer, and a stuck agent's run fails. The question is the
   * model's text (or a tool's error), so a secret it read is redacted before anyone is shown it.
   */
  askUser(asked: Omit<AskUserParams, 'runId' | 'approvalId' | 'agent'>, at: At): Promise<AskUserAnswer> {
    const question = { ...asked, question: redacted(asked.question), ...(asked.context !== undefined ? { context: redacted(asked.context) } : {}) };
    return this.decide<AskUserAnswer>(at, {
      subject: question.kind === 'stuck' ? 'escalation' : 'ask_user',
      attributes: { 'keel.approval.kind': question.kind },
      asked: { question: question.question, ...(question.context ? { context: question.context } : {}) },
      ask: (approvalId, signal) => this.consent.askUser({ ...question, runId: at.runId, approvalId, ...this.asker() }, signal),
      decision: (answer) => answer.action,
      onTimeout: () => ({ action: 'decline' }),
    });
  }

  /** An MCP server's question; no answer in time cancels it. */
  elicit(request: ElicitParams, at: At): Promise<ElicitAnswer> {
    return this.decide(at, {
      subject: `elicitation ${request.server}`,
      attributes: { 'keel.mcp.server': request.server },
      asked: { message: request.message, fields: request.fields },
      ask: (_approvalId, signal) => this.consent.elicit(request, signal),
      decision: (answer) => answer.action,
      onTimeout: () => ({ action: 'cancel' }),
    });
  }

  private async decide<D>(at: At, question: Question<D>): Promise<D> {
    const approvalId = randomUUID();
    const span = at.parent.child(`approval ${question.subject}`, 'approval', { 'keel.approval.id': approvalId, 'keel.run.id': at.runId, ...question.attributes });
    span.setContent({ 'keel.approval.question': question.asked });
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const answer = await question.ask(approvalId, AbortSignal.any([at.signal, timeout]));
      const decision = question.decision(answer);
      span.setAttributes({ 'keel.approval.decision': decision, 'keel.approval.decided_by': 'user' });
      const reason = (answer as { reason?: unknown } | undefined)?.reason;
      span.setContent({ 'keel.approval.answer': { decision, decided_by: 'user', ...(typeof reason === 'string' ? { reason } : {}) } });
      // On disk before the decision takes effect.
      await this.audit?.append({ kind: 'approval', runId: at.runId, subject: question.subject, decision, decidedBy: 'user', ...(typeof reason === 'string' ? { reason } : {}), ...policyRecord(question.policy) });
      span.end('ok', decision === 'denied' && typeof reason === 'string' ? reason : undefined);
      return answer;
    } catch (error) {
      if (at.signal.aborted) {
        span.end('cancelled', l10n.t('The run was cancelled while waiting for approval.'));
        throw error;
      }
      if (timeout.aborted) {
        const reason = l10n.t('no answer within {0} s, so it counts as denied', Math.round(this.timeoutMs / 1000));
        span.setAttributes({ 'keel.approval.decision': 'denied', 'keel.approval.decided_by': 'timeout' });
        span.setContent({ 'keel.approval.answer': { decision: 'denied', decided_by: 'timeout', reason } });
        await this.audit?.append({ kind: 'approval', runId: at.runId, subject: question.subject, decision: 'denied', decidedBy: 'timeout', reason, ...policyRecord(question.policy) });
        span.end('ok', reason);
        return question.onTimeout(reason);
      }
      span.end('error', errorMessage(error));
      throw error;
    }
  }
}

function policyAttributes(policy: { readonly reason?: string; readonly rule?: string; readonly level: string } | undefined): Record<string, AttributeValue> {
  if (!policy) return {};
  return { 'keel.policy.level': policy.level, ...(policy.rule ? { 'keel.policy.rule': policy.rule } : {}), ...(policy.reason ? { 'keel.policy.reason': policy.reason } : {}) };
}

function policyRecord(policy: { readonly rule?: string; readonly level: string } | undefined): { rule?: string; level?: string } {
  return policy ? { level: policy.level, ...(policy.rule ? { rule: policy.rule } : {}) } : {};
}
