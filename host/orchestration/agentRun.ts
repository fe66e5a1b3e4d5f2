/** What an agent run is given and what it answers: the loop's (`agentLoop.ts`) and its recovery's (`recovery/`) terms. */
import type { PrivacySettings } from '../../protocol/models';
import type { RunLimits, RunOutcome } from '../../protocol/run';
import type { AuditSink } from '../governance/auditLog';
import type { ConsentPort } from '../governance/consent';
import type { ChatMessage } from '../models';
import type { Span } from '../observability/tracer';
import type { ToolPolicy, ToolRegistry } from '../tools';
import type { WorkspacePort } from '../workspace/port';
import type { StepRecorder } from './durable/stepRecorder';
import type { AgentDefinition } from './agents/agentDefinitions';
import type { RunMemory, RunModel } from './runContext';
import type { Team } from './subagents';

export interface AgentRunInput {
  readonly runId: string;
  readonly goal: string;
  /** Picks the model for each call and retries and falls back (the ModelRouter). */
  readonly model: RunModel;
  readonly privacy: PrivacySettings;
  readonly limits: RunLimits;
  readonly tools: ToolRegistry;
  readonly policy: ToolPolicy;
  readonly workspace: WorkspacePort;
  /** How the run asks the user: every question goes through the run's ApprovalBroker over this port. */
  readonly consent: ConsentPort;
  /** Where decisions and side-effecting calls are recorded, before they take effect. */
  readonly audit?: AuditSink;
  /** Recalls what bears on the goal; without it, the prompt is the system prompt and the goal alone. */
  readonly memory?: RunMemory;
  /** Where each step is recorded before the next starts, and a resumed run's finished steps are replayed from; none when absent. */
  readonly record?: StepRecorder;
  /** The run's `invoke_agent` span; the loop adds `retrieval`, `chat`, `execute_tool` and `approval` children. */
  readonly span: Span;
  readonly signal: AbortSignal;
  /** The agent definition to run; absent: Keel's default agent. */
  readonly agent?: AgentDefinition;
  /** What the run's agents share (subagent caps, file locks); absent: no delegation. */
  readonly team?: Team;
  /** 0 for the run's own agent, 1 for its subagents, 2 for theirs. */
  readonly depth?: number;
  /** What the run's own agent brings beyond its goal; subagents start afresh and are not steered. */
  readonly session?: RunSession;
}

/** A continued run's conversation so far, and the messages the user steers the running agent with. */
export interface RunSession {
  /** The conversation before this part of the run, tool results as the tools returned them; empty for a new run. */
  readonly history: readonly ChatMessage[];
  /** This part's first step: steps count on across a run's parts, so each has its own place in the journal. */
  readonly firstStep: number;
  /**
   * The steering messages sent since the last call. `last`: the agent is about to end; with none waiting, no more
   * are accepted.
   */
  take(last: boolean): string[];
}

export interface AgentRunOutput {
  readonly outcome: Exclude<RunOutcome, 'interrupted'>;
  readonly message: string;
  /** What the run did, for its episode. */
  readonly toolsUsed: readonly string[];
  readonly filesTouched: readonly string[];
  readonly tokens: { readonly input: number; readonly output: number };
}
