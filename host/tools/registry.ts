import * as l10n from '@vscode/l10n';
import type { AllowRuleProposal, ReviewToolCallParams } from '../../protocol/rpc';
import { commandSandboxed, sandboxNote } from '../governance/commandSandbox';
import type { HookGate, HookVerdict } from '../governance/hooks';
import { proposeAllowRules } from '../governance/policy/allowRules';
import { RunPolicy, type CallFacts, type PolicyDecision } from '../governance/policy/runPolicy';
import type { ToolCall, ToolSpec } from '../models/types';
import { errorMessage } from '../observability/tracer';
import { CallPolicy } from './callPolicy';
import { ToolStats } from './stats';
import type { RiskClass, Tool, ToolContext, ToolPolicy } from './tool';
import { riskLabel } from '../../protocol/stateLabels';

export interface RefusedTool {
  readonly name: string;
  readonly source: string;
  readonly reason: string;
}

export type ToolOutcome = { readonly ok: true; readonly content: string } | { readonly ok: false; readonly content: string };

/**
 * Every tool call goes through here: the name is checked, the arguments are validated against the tool's
 * schema, and only then does the implementation run. Failures become text the model can correct itself from.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool<never>>();
  /** Set in Restricted Mode: a call whose own risk is another (run_js asking for the network) is refused. */
  private onlyRiskClass: RiskClass | undefined;

  /** Tools left out because an earlier one has their name, with why. */
  readonly refused: RefusedTool[] = [];

  /** The workspace's hooks, asked before and after every call; set by whoever builds the run's registry. */
  hooks: HookGate | undefined;

  /**
   * `tools` in order of precedence: of two with one name (letter case aside), the first is kept. Built-ins come
   * first, so a workspace's `.keel/tools` or an MCP server can never stand in for one and answer in its name.
   */
  constructor(tools: readonly Tool<never>[], private readonly stats = new ToolStats(), private readonly policy = new CallPolicy()) {
    const byKey = new Map<string, Tool<never>>();
    for (const tool of tools) {
      const kept = byKey.get(tool.name.toLowerCase());
      if (kept) {
        const reason = kept.source === 'builtin' ? l10n.t('a built-in tool has the name {0}; rename this one', kept.name) : l10n.t('the tool from {0} has the name {1}; rename this one', kept.source, kept.name);
        this.refused.push({ name: tool.name, source: tool.source, reason });
        continue;
      }
      byKey.set(tool.name.toLowerCase(), tool);
      this.tools.set(tool.name, tool);
    }
  }

  /** The same tools limited to the given risk, e.g. read-only in Restricted Mode. */
  onlyRisk(risk: RiskClass): ToolRegistry {
    const limited = new ToolRegistry(this.list().filter((t) => t.risk === risk), this.stats, this.policy);
    limited.onlyRiskClass = risk;
    limited.refused.push(...this.refused);
    limited.hooks = this.hooks;
    return limited;
  }

  /** The same tools without those `keep` refuses, e.g. an agent definition's allow list; limits already set stay. */
  limitedTo(keep: (tool: Tool<never>) => boolean): ToolRegistry {
    const limited = new ToolRegistry(this.list().filter(keep), this.stats, this.policy);
    limited.onlyRiskClass = this.onlyRiskClass;
    limited.refused.push(...this.refused);
    limited.hooks = this.hooks;
    return limited;
  }

  list(): Tool<never>[] {
    return [...this.tools.values()];
  }

  get(name: string): Tool<never> | undefined {
    return this.tools.get(name);
  }

  specs(): ToolSpec[] {
    return [...this.tools.values()].map((tool) => ({
      name: tool.name,
      description: tool.description,
      parameters: tool.args.jsonSchema,
    }));
  }

  async call(call: ToolCall, context: ToolContext): Promise<ToolOutcome> {
    const started = performance.now();
    const outcome = await this.dispatch(call, context);
    this.stats.record(call.name, outcome.ok, performance.now() - started);
    return outcome;
  }

  private async dispatch(call: ToolCall, context: ToolContext): Promise<ToolOutcome> {
    const tool = this.tools.get(call.name);
    if (!tool) {
      return { ok: false, content: l10n.t('Unknown tool "{0}". Available tools: {1}.', call.name, [...this.tools.keys()].join(', ')) };
    }
    if (call.argumentsError) {
      return { ok: false, content: l10n.t('Invalid arguments for {0}: {1}. Send a JSON object matching the tool\'s schema.', call.name, call.argumentsError) };
    }
    let parsed = tool.args.parse(call.arguments);
    if (!parsed.ok) return { ok: false, content: l10n.t('Invalid arguments for {0}:\n{1}', call.name, parsed.error) };
    const at = { runId: context.runId, parent: context.span, signal: context.signal, audit: context.audit };
    const gate = await this.hooks?.ask('beforeToolCall', { tool: tool.name, source: tool.source, risk: tool.riskOf?.(parsed.value as never, context.policy) ?? tool.risk, arguments: parsed.value }, at);
    if (gate?.decision === 'deny') return { ok: false, content: l10n.t('{0} was refused: {1}. Do not call it again with the same arguments.', call.name, String(gate.reason)) };
    if (gate?.arguments) {
      // A rewrite is checked like the model's own arguments: a hook cannot hand a tool what its schema refuses.
      parsed = tool.args.parse(gate.arguments);
      if (!parsed.ok) return { ok: false, content: l10n.t('{0} was refused: a hook rewrote its arguments into ones the tool does not accept ({1}).', call.name, parsed.error) };
    }
    let args = parsed.value as never;
    let correctedNote = '';
    const risk = tool.riskOf?.(args, context.policy) ?? tool.risk;
    if (this.onlyRiskClass && risk !== this.onlyRiskClass) {
      return { ok: false, content: l10n.t('{0} with these arguments is a {1} action, and this run may only take {2} actions (Restricted Mode).', call.name, riskLabel(risk), riskLabel(this.onlyRiskClass)) };
    }
    try {
      const facts: CallFacts = { tool: tool.name, risk, ...tool.touches?.(args) };
      let decision = await decide(facts, context.policy);
      // "Always allow" given earlier in this run lifts a question no deny or ask rule makes.
      const granted = decision.verdict === 'ask' && !decision.firm && gate?.decision !== 'ask' && !tool.reviewsOwnCalls ? await context.policy.grants?.covering(facts) : undefined;
      if (granted) decision = { ...decision, verdict: 'allow', level: 'run', rule: granted, reason: l10n.t('you allowed {0} for the rest of this run', granted) };
      if (decision.verdict === 'deny') {
        await context.approvals.recordPolicyDecision(tool.name, decision, at);
        return { ok: false, content: l10n.t('The policy denies {0}: {1}. Do not call it again or look for a way around the rule; do something else, or tell the user what you need.', call.name, decision.reason) };
      }
      // What the policy lets run unasked is recorded as its decision (Keel's default lets only reads run unasked); a
      // tool that asks by itself (an edit shown inline) is decided by that answer instead.
      if (decision.verdict === 'allow' && risk !== 'read' && gate?.decision !== 'ask' && !tool.reviewsOwnCalls) await context.approvals.recordPolicyDecision(tool.name, decision, at);
      // A hook that asks puts even a read, or a tool that reviews its own calls, to the user.
      if ((decision.verdict === 'ask' && !tool.reviewsOwnCalls) || gate?.decision === 'ask') {
        const title = tool.describeCall?.(args, callContext(tool, decision, context).policy) ?? l10n.t('Run {0}?', tool.name);
        const why = `${gate?.reason ? ` (${gate.reason})` : ''}${context.policy.rules && decision.verdict === 'ask' ? ` ${l10n.t('Policy asks because {0}.', decision.reason)}` : ''}`;
        const proposal = context.policy.grants && gate?.decision !== 'ask' ? await proposeAllowRules(facts, decision, context.policy.rules ?? NO_RULES) : undefined;
        const answer = await context.approvals.reviewToolCall(
          {
            tool: tool.name, source: tool.source, risk, title: `${title}${why}`, detail: JSON.stringify(parsed.value, null, 2), canAlwaysAllow: false,
            ...policyBasis(decision, context.policy), ...commandReview(facts, decision, callContext(tool, decision, context).policy), ...(proposal ? { alwaysAllow: proposal } : {}),
          },
          at,
        );
        if (answer.decision === 'denied') return { ok: false, content: l10n.t('The user denied {0}: {1}. Do not call it again with the same arguments.', call.name, String(answer.reason)) };
        if (answer.alwaysAllow && proposal && 'rules' in proposal) grantFor(context, proposal, answer.alwaysAllow);
        if (answer.arguments) {
          // The user corrected the call: what runs is what they approved, if the schema and the policy accept it.
          parsed = tool.args.parse(answer.arguments);
          if (!parsed.ok) return { ok: false, content: l10n.t('{0} did not run: the arguments the user corrected do not fit its schema ({1}).', call.name, parsed.error) };
          const correctedRisk = tool.riskOf?.(parsed.value as never, context.policy) ?? tool.risk;
          const corrected = await decide({ tool: tool.name, risk: correctedRisk, ...tool.touches?.(parsed.value as never) }, context.policy);
          if (corrected.verdict === 'deny') return { ok: false, content: l10n.t('{0} did not run: the policy denies the arguments the user corrected ({1}).', call.name, corrected.reason) };
          args = parsed.value as never;
          correctedNote = `The user corrected the arguments before approving; it ran with ${JSON.stringify(parsed.value)}.\n`;
          context.span.setAttributes({ 'keel.tool.arguments_corrected_by_user': true });
        }
      }
      const sideEffect = risk !== 'read';
      if (sideEffect) await context.audit?.append({ kind: 'tool_call', runId: context.runId, tool: tool.name, risk, arguments: JSON.stringify(parsed.value) });
      try {
        const approvals = this.hooks ? editsThroughHooks(context.approvals, this.hooks, context.audit) : context.approvals;
        const content = capResult(await this.policy.run(tool, args, { ...callContext(tool, decision, context), approvals }));
        if (sideEffect) await context.audit?.append({ kind: 'tool_result', runId: context.runId, tool: tool.name, ok: true });
        const after = await this.hooks?.ask('afterToolCall', { tool: tool.name, source: tool.source, arguments: parsed.value, ok: true, result: content }, at);
        if (after?.decision === 'deny') return { ok: true, content: `${correctedNote}${l10n.t('The result of {0} was withheld: {1}.', call.name, String(after.reason))}` };
        return { ok: true, content: correctedNote + content };
      } catch (error) {
        if (sideEffect) await context.audit?.append({ kind: 'tool_result', runId: context.runId, tool: tool.name, ok: false });
        throw error;
      }
    } catch (error) {
      if (context.signal.aborted) throw error;
      return { ok: false, content: l10n.t('{0} failed: {1}', call.name, errorMessage(error)) };
    }
  }
}

/** Edits a tool proposes pass the workspace's beforeEdit hooks before the user is asked (a hook's deny is final). */
function editsThroughHooks(approvals: ToolContext['approvals'], hooks: HookGate, audit: ToolContext['audit']): ToolContext['approvals'] {
  return {
    reviewToolCall: (review, at) => approvals.reviewToolCall(review, at),
    recordPolicyDecision: (subject, decision, at) => approvals.recordPolicyDecision(subject, decision, at),
    async reviewEdit(edit, at) {
      const verdict: HookVerdict = await hooks.ask('beforeEdit', { path: edit.path, startLine: edit.range.start.line + 1, endLine: edit.range.end.line + 1, newText: edit.newText }, { ...at, audit });
      if (verdict.decision === 'deny') return { decision: 'denied', reason: verdict.reason ?? l10n.t('a hook denied it') };
      return approvals.reviewEdit(edit, at);
    },
  };
}

/**
 * Keel's own default where no policy is in force: no level, so read-only calls run and every other call asks. It
 * still takes a command line apart, so its question can show the parts.
 */
const NO_RULES = new RunPolicy([], { agent: 'keel', restricted: false });

function decide(facts: CallFacts, policy: ToolPolicy): Promise<PolicyDecision> {
  return (policy.rules ?? NO_RULES).decide(facts);
}

/** A command's parts and its confinement, for its question. */
function commandReview(facts: CallFacts, decision: PolicyDecision, policy: ToolPolicy): Pick<ReviewToolCallParams, 'command'> {
  if (facts.command === undefined) return {};
  const mode = policy.commandSandbox ?? 'auto';
  return {
    command: { line: facts.command, parts: decision.parts ?? [], unchecked: decision.unchecked ?? [], sandboxed: commandSandboxed(mode), confinement: sandboxNote(mode, { network: policy.commandNetwork }) },
  };
}

/** The user's "Always allow": the proposed rules hold for the rest of the run (a policy, if chosen, was written first). */
function grantFor(context: ToolContext, proposal: AllowRuleProposal, scope: string): void {
  if (scope !== 'run' && scope !== 'workspace' && scope !== 'user') return;
  context.policy.grants?.add(proposal.rules);
  context.span.setAttributes({ 'keel.approval.always_allow': scope, 'keel.approval.always_allow_rules': proposal.rules.map((rule) => `${rule.list}.allow "${rule.pattern}"`).join(', ') });
}

function policyBasis(decision: PolicyDecision, policy: ToolPolicy): Pick<ReviewToolCallParams, 'policy'> {
  return policy.rules ? { policy: { reason: decision.reason, level: decision.level, ...(decision.rule ? { rule: decision.rule } : {}) } } : {};
}

/**
 * The context the tool runs in: a tool that asks the user itself is told when the policy asks (so an MCP tool the
 * user always allows asks all the same), and a command whose rules opt out of the OS sandbox runs outside it
 * (unless the user requires the sandbox).
 */
function callContext(tool: Tool<never>, decision: PolicyDecision, context: ToolContext): ToolContext {
  const policyAsks = decision.verdict === 'ask' && tool.reviewsOwnCalls && decision.level !== 'default' ? { policyAsks: decision } : {};
  const unsandboxed = decision.unsandboxed && context.policy.commandSandbox !== 'required' ? { commandSandbox: 'off' as const } : {};
  const network = decision.network ? { commandNetwork: true } : {};
  return { ...context, ...policyAsks, policy: { ...context.policy, ...unsandboxed, ...network } };
}

/**
 * The most of one result the model gets. Built-in tools cap their own output well below this; an MCP server, a user
 * tool or sandboxed code can return megabytes, which would crowd out the conversation and cost a fortune to send.
 */
const MAX_RESULT_CHARS = 200_000;

function capResult(content: string): string {
  if (content.length <= MAX_RESULT_CHARS) return content;
  return `${content.slice(0, MAX_RESULT_CHARS)}\n[${content.length - MAX_RESULT_CHARS} more characters of this result were cut]`;
}
