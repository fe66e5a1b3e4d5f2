import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { MAX_USER_ANSWER_CHARS, type AskUserAnswer } from '../../../protocol/rpc';
import type { ApprovalBroker, At } from '../../governance/approvals';
import type { ToolSpec } from '../../models';
import type { ToolOutcome } from '../../tools';

/** The tool with which an agent asks the user a question and gets the answer back. */
export const ASK_USER_TOOL = 'ask_user';

/** One agent asks at most this many questions; past it, it is told to go on with its own judgement. */
const MAX_QUESTIONS = 20;

const askUserArgs = z.strictObject({
  question: z.string().trim().min(1, 'must say what you want to know').max(4_000),
  context: z.string().max(20_000).optional(),
});

export const askUserSpec: ToolSpec = {
  name: ASK_USER_TOOL,
  description:
    'Ask the user a question and wait for the answer, when you cannot go on without a decision or a fact only the user has ' +
    '(which of two designs, a missing requirement, a credential you must not guess). Do not ask for what you can find out yourself with the other tools.',
  parameters: {
    type: 'object',
    properties: {
      question: { type: 'string', description: 'One clear question' },
      context: { type: 'string', description: 'What you found so far and why you need the answer' },
    },
    required: ['question'],
    additionalProperties: false,
  },
};

/** The user ended the run from a question; the run ends cancelled with this message. */
export class StoppedByUser extends Error {
  override readonly name = 'StoppedByUser';
}

/** One agent's questions: each asked through the run's broker in the agent's name, its answer given back to the model. */
export class UserQuestions {
  private asked = 0;

  constructor(private readonly approvals: ApprovalBroker) {}

  /** The answer as the model reads it; throws `StoppedByUser` when the user stops the run. */
  async ask(args: unknown, at: At): Promise<ToolOutcome> {
    const parsed = askUserArgs.safeParse(args);
    if (!parsed.success) {
      return { ok: false, content: `Invalid arguments for ask_user: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}. Send { "question": "…" } and optionally "context".` };
    }
    if (this.asked >= MAX_QUESTIONS) return { ok: false, content: `You have asked the user ${MAX_QUESTIONS} questions in this run; go on with your best judgement and say in your final answer what you assumed.` };
    this.asked++;
    const { question, context } = parsed.data;
    const answer = await this.approvals.askUser({ kind: 'question', question, ...(context ? { context } : {}) }, at);
    return answerForModel(answer, question);
  }
}

function answerForModel(answer: AskUserAnswer, question: string): ToolOutcome {
  if (answer.action === 'stop') throw new StoppedByUser(l10n.t('The user stopped the run when asked: {0}', question.length > 200 ? `${question.slice(0, 200)}…` : question));
  if (answer.action === 'decline') return { ok: true, content: 'The user did not answer (declined, no answer in time, or nobody can answer in this session). Go on with your best judgement and say in your final answer what you assumed.' };
  return { ok: true, content: `The user answered:\n${cut(answer.text)}` };
}

/** An answer past the limit is cut: it goes into every later prompt. */
export function cut(text: string): string {
  return text.length <= MAX_USER_ANSWER_CHARS ? text : `${text.slice(0, MAX_USER_ANSWER_CHARS)}\n[${text.length - MAX_USER_ANSWER_CHARS} more characters were cut]`;
}
