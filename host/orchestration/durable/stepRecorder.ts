import type { AskUserAnswer, RepeatChoice } from '../../../protocol/rpc';
import type { ConsentPort } from '../../governance/consent';
import type { RoutedChatResponse, ToolCall } from '../../models';
import type { AttemptLog, RiskClass, ToolOutcome } from '../../tools';
import type { WorkspacePort } from '../../workspace/port';

/** What the loop keeps of a model's response; all of it is journaled, so a resumed run replays it exactly. */
export type StepResponse = Pick<RoutedChatResponse, 'content' | 'toolCalls' | 'usage' | 'costUsd' | 'modelId'>;

/** A tool call the loop is about to make, with what a recorder needs to tell whether it already happened. */
export interface PlannedCall {
  /** The model response it came from, counted from 1, and its place among that response's calls. */
  readonly step: number;
  readonly index: number;
  readonly call: ToolCall;
  /** The tool's risk; undefined for a tool that does not exist, whose call fails without any effect. */
  readonly risk: RiskClass | undefined;
  readonly workspace: WorkspacePort;
  /** A `delegate` call: it runs beside the answer's other calls and asks nothing itself. */
  readonly delegated?: boolean;
  /** A read whose result a crash may lose: the resumed run reads again, at the cost of time only. */
  readonly repeatable?: boolean;
  /** Asks the user whether to repeat a call that may have run before the host stopped. */
  readonly confirmRepeat: () => Promise<RepeatChoice>;
}

/**
 * How the agent loop records its steps. The journal (`RunJournal`) writes each one before the next starts and, on a
 * resumed run, answers finished steps from the record instead of asking the model or running the tool again.
 */
export interface StepRecorder {
  /** The model's response for `step`: replayed, or asked through `ask` and recorded. */
  response(step: number, ask: () => Promise<StepResponse>): Promise<StepResponse>;
  /** A tool call's outcome: replayed, recovered, or run through `run` with its intent recorded first. */
  toolCall(planned: PlannedCall, run: () => Promise<ToolOutcome>): Promise<ToolOutcome>;
  /** The attempts of the call at `step:index`: those its record shows, and each transient failure recorded as it happens. */
  attempts(step: number, index: number): AttemptLog;
  /** The user's answer when Keel stopped a stuck agent before `step`: replayed, or asked through `ask` and recorded. */
  escalation(step: number, reason: string, ask: () => Promise<AskUserAnswer>): Promise<AskUserAnswer>;
  /**
   * The steering messages the run's agent reads after `step`: replayed, or handed over by `take` and recorded as read.
   */
  steering(step: number, take: () => string[]): string[];
  /** The port the run asks the user through, with each question and answer recorded. */
  consent(port: ConsentPort): ConsentPort;
  /**
   * The recorder of a subagent started by the call at `at`: its own steps, kept apart from this agent's, so a resumed
   * run replays a subagent's finished steps too.
   */
  subagent(at: { step: number; index: number }, agent: string, goal: string): StepRecorder;
  /** The recorder of the fallback agent that takes over after this one failed; `goal` includes what failed. */
  fallback(agent: string, goal: string): StepRecorder;
  /** A fallback this record shows started already: a resumed run goes straight back to it. */
  readonly fallbackStarted: { readonly agent: string; readonly goal: string } | undefined;
  /** Steps answered from the record rather than run. */
  readonly replayedSteps: number;
}

/** No record: every step runs. For runs that need no durability (benchmarks of the loop itself, unit tests). */
export const unrecorded: StepRecorder = {
  response: (_step, ask) => ask(),
  toolCall: (_planned, run) => run(),
  escalation: (_step, _reason, ask) => ask(),
  steering: (_step, take) => take(),
  attempts: () => ({ before: 0, failed: () => undefined }),
  consent: (port) => port,
  subagent: () => unrecorded,
  fallback: () => unrecorded,
  fallbackStarted: undefined,
  replayedSteps: 0,
};
