import type { Approvals } from '../governance/approvals';
import type { AuditSink } from '../governance/auditLog';
import type { CommandSandboxMode } from '../governance/commandSandbox';
import type { RunGrants } from '../governance/policy/allowRules';
import type { CallFacts, PolicyDecision, RunPolicy } from '../governance/policy/runPolicy';
import type { Span } from '../observability/tracer';
import type { WorkspacePort } from '../workspace/port';
import type { RiskClass } from '../../protocol/run';
import type { ArgsSchema } from './argsSchema';

export type { RiskClass } from '../../protocol/run';

/** What the run's policy allows tools beyond their own checks. */
export interface ToolPolicy {
  /** Hosts sandboxed code may fetch from (empty: no fetch). */
  readonly allowHosts: readonly string[];
  /** Environment variables that look like credentials but may reach commands the run starts (`keel.tools.passEnv`). */
  readonly passEnv?: readonly string[];
  /** Whether approved commands run in the OS sandbox (`keel.commands.sandbox`, default `auto`). */
  readonly commandSandbox?: CommandSandboxMode;
  /** The policy grants this call's command the network in the sandbox (a command rule with `network: true`). */
  readonly commandNetwork?: boolean;
  /** The run's policy as code (`.keel/policy.jsonc` and above); absent, Keel's defaults: every non-read call asks. */
  readonly rules?: RunPolicy;
  /** What the user chose to "Always allow" in this run; absent, the choice is not offered. */
  readonly grants?: RunGrants;
}

/** What one call touches, for the policy: its command line, the files it reads and writes, the hosts it reaches. */
export type CallTouches = Omit<CallFacts, 'tool' | 'risk'>;

/**
 * A call's attempts as the run's journal counts them, so a resumed run does not start its retries over: how many the
 * record shows were made before, and each transient failure as it happens.
 */
export interface AttemptLog {
  readonly before: number;
  failed(attempt: number, error: string): void;
}

export interface ToolContext {
  readonly runId: string;
  readonly policy: ToolPolicy;
  readonly workspace: WorkspacePort;
  /** Time spent waiting here for the user does not count against the tool's timeout. */
  readonly approvals: Approvals;
  /** Where side-effecting calls are recorded before they run; absent in tests that do not check it. */
  readonly audit?: AuditSink;
  readonly span: Span;
  readonly signal: AbortSignal;
  /**
   * Set when the policy asks about this call and the tool asks the user itself: it must ask even where it would not
   * (an MCP tool the user always allows).
   */
  readonly policyAsks?: PolicyDecision;
  /** Where the call's attempts are counted; absent, each call starts from its first attempt. */
  readonly attempts?: AttemptLog;
  /** The attempt this `run` is, from 1; a tool that asks the user asks on the first only. */
  readonly attempt?: number;
}

export interface Tool<Args = unknown> {
  readonly name: string;
  readonly description: string;
  readonly risk: RiskClass;
  /** `builtin`, or `mcp:<server>`. */
  readonly source: string;
  /** The tool asks the user itself (inline edit review, MCP pins), so the registry does not ask again. */
  readonly reviewsOwnCalls?: boolean;
  /**
   * The result is Keel's own words (an edit's decision) or fenced already (search_memory), so it reaches the model
   * as it is; every other result is workspace or outside content and goes in an untrusted fence.
   */
  readonly ownsResultText?: boolean;
  /** How long one call may take (default 2 minutes). */
  readonly timeoutMs?: number;
  /** Repeating a call has no further effect, so transient failures may be retried. */
  readonly idempotent?: boolean;
  /**
   * Calls allowed per minute across the host's runs. MCP tools share their server's limit and network tools have one
   * of 120 unless they declare another; local tools have none unless they declare one.
   */
  readonly callsPerMinute?: number;
  /** For pinned tools (MCP): `unpinned`, `pinned`, `always allowed` or `changed — disabled until approved`. */
  pinState?(): Promise<string>;
  /** The risk of one call when it depends on its arguments and the run's policy (run_js with network). */
  riskOf?(args: Args, policy: ToolPolicy): RiskClass;
  /** What a call touches, for the policy's command rules and path and host scopes; absent, only its name counts. */
  touches?(args: Args): CallTouches;
  /** The question the user is asked about a call, e.g. the command line; defaults to "Run <tool>?". */
  describeCall?(args: Args, policy: ToolPolicy): string;
  /** Validated before `run`, and sent to the model as JSON schema. */
  readonly args: ArgsSchema<Args>;
  /** Returns the text the model sees as the tool's result. Throw to report a failure to the model. */
  run(args: Args, context: ToolContext): Promise<string>;
}

export function defineTool<Args>(tool: Tool<Args>): Tool<Args> {
  return tool;
}
