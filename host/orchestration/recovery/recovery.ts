import * as l10n from '@vscode/l10n';
import { formatUsd as usd } from '../../../protocol/models';
import type { AskUserAnswer } from '../../../protocol/rpc';
import type { ApprovalBroker, At } from '../../governance/approvals';
import { errorMessage } from '../../observability/tracer';
import type { ToolCall } from '../../models';
import type { ToolOutcome } from '../../tools';
import type { AgentDefinition } from '../agents/agentDefinitions';
import type { StepRecorder } from '../durable/stepRecorder';
import { cut, UserQuestions } from './askUser';
import { StuckDetector, type Stuck } from './stuckDetector';

/** What happens before the next step: go on (with the user's guidance for the model, if any), or end the run. */
export type NextStep = { readonly guidance?: string } | { readonly end: 'failed' | 'cancelled'; readonly message: string };

/** What the model is told when the user answered for a stuck agent; a continued run's history says it again. */
export function guidanceMessage(reason: string, text: string): string {
  const guidance = text.trim();
  return `Keel paused you because ${reason}. ${guidance ? `The user's guidance:\n${cut(guidance)}` : 'The user lets you go on; change your approach.'}`;
}

/**
 * One agent's way out of trouble: its questions to the user (`ask_user`), and automatic escalation. When the agent
 * loops, keeps failing, makes no progress or spends its definition's `budgetUsd`, Keel stops it before the next model
 * call and asks the user for guidance: the guidance goes to the model and the agent goes on; "stop" ends the run as
 * cancelled; no answer ends it as failed (a definition's fallback agent may then take over).
 */
export class Recovery {
  readonly questions: UserQuestions;
  private readonly detector: StuckDetector | undefined;
  private budgetLimitUsd: number | undefined;
  private escalations = 0;

  constructor(
    private readonly options: {
      readonly approvals: ApprovalBroker;
      readonly at: At;
      readonly record: StepRecorder;
      readonly agentName: string;
      readonly agent?: AgentDefinition;
      /** `keel.agent.loopDetection`: off, only the budget escalates. */
      readonly detectLoops: boolean;
    },
  ) {
    this.questions = new UserQuestions(options.approvals);
    this.detector = options.detectLoops ? new StuckDetector() : undefined;
    this.budgetLimitUsd = options.agent?.budgetUsd;
  }

  afterStep(calls: readonly ToolCall[], outcomes: readonly ToolOutcome[]): void {
    this.detector?.afterStep(calls, outcomes);
  }

  /** Called before each model call with what this agent has spent so far. */
  async beforeStep(step: number, spentUsd: number): Promise<NextStep> {
    const stuck = this.detector?.stuck ?? this.overBudget(spentUsd);
    if (!stuck) return {};
    const { at, record, agentName } = this.options;
    at.parent.setAttributes({ 'keel.recovery.escalations': ++this.escalations, 'keel.recovery.stuck': stuck.kind });
    const answer = await record.escalation(step, stuck.reason, () => this.ask(stuck));
    if (answer.action === 'stop') return { end: 'cancelled', message: l10n.t({ message: 'The user stopped the run: the agent {0} was stuck because {1}.', args: [agentName, stuck.reason], comment: ['{1} is why the agent is stuck, e.g. "its last 5 tool calls failed (…)"'] }) };
    if (answer.action === 'decline') {
      return {
        end: 'failed',
        message: l10n.t({ message: 'The agent {0} was stopped because {1}, and nobody gave it guidance. Look at its trace, then retry it with a narrower goal or more to go on.', args: [agentName, stuck.reason], comment: ['{1} is why the agent is stuck, e.g. "its last 5 tool calls failed (…)"'] }),
      };
    }
    this.detector?.reset();
    if (stuck.kind === 'budget') this.budgetLimitUsd = spentUsd + this.options.agent!.budgetUsd!;
    return { guidance: guidanceMessage(stuck.reason, answer.text) };
  }

  private overBudget(spentUsd: number): Stuck | undefined {
    const limit = this.budgetLimitUsd;
    if (limit === undefined || spentUsd < limit) return undefined;
    const { agent } = this.options;
    return { kind: 'budget', reason: l10n.t({ message: 'it has spent {0}, and its budget is {1} ({2} {3} in {4})', args: [usd(spentUsd), usd(limit), 'budgetUsd', usd(agent!.budgetUsd!), agent!.path], comment: ['Completes "The agent … is stuck: …" and "… was stopped because …".'] }) };
  }

  /** A question nobody can take (no extension handler, a broken connection) counts as unanswered, never as a crash. */
  private async ask(stuck: Stuck): Promise<AskUserAnswer> {
    const { approvals, at, agentName } = this.options;
    try {
      return await approvals.askUser({ kind: 'stuck', question: l10n.t('The agent {0} is stuck: {1}. Give it guidance to go on, or stop the run.', agentName, stuck.reason) }, at);
    } catch (error) {
      if (at.signal.aborted) throw error;
      at.parent.setAttributes({ 'keel.recovery.unanswered': errorMessage(error) });
      return { action: 'decline' };
    }
  }
}
