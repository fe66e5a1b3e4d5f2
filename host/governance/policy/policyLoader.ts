import { createHash } from 'node:crypto';
import * as l10n from '@vscode/l10n';
import type { AddAllowRulesRequest, AddAllowRulesResult, StartRunParams } from '../../../protocol/rpc';
import type { AuditEvent } from '../auditLog';
import { addAllowRulesToSetting, writeWorkspaceAllowRules } from './policyEdits';
import { readPolicyLevels, WORKSPACE_POLICY, type LevelName, type PolicySources } from './policyLevels';
import { RunPolicy } from './runPolicy';

type PolicyChange = Extract<AuditEvent, { kind: 'policy_change' }>;

/** What a run starts with: its policy (none when no level has one) and the levels that changed since the last run. */
export interface LoadedPolicy {
  readonly policy: RunPolicy | undefined;
  /** The same levels' rules for another agent of the run (a subagent), by its name. */
  readonly forAgent: (agent: string) => RunPolicy | undefined;
  readonly changes: readonly Extract<AuditEvent, { kind: 'policy_change' }>[];
}

/**
 * Reads the policy afresh for every run, so an edit to `.keel/policy.jsonc`, the managed file or the `keel.policy`
 * setting applies to the next run without a restart, and notes which levels changed (by the SHA-256 of what was
 * read) for the audit log. The first run of a process records every level in force.
 */
export class PolicyLoader {
  private readonly seen = new Map<LevelName, string>();

  constructor(private readonly sources: Omit<PolicySources, 'user'>) {}

  forRun(request: { readonly user: unknown; readonly restricted: boolean; readonly agent: string }): LoadedPolicy {
    const levels = readPolicyLevels({ ...this.sources, user: request.user });
    const changes: Extract<AuditEvent, { kind: 'policy_change' }>[] = [];
    for (const level of levels) {
      if (this.seen.get(level.level) === level.hash) continue;
      this.seen.set(level.level, level.hash);
      changes.push({ kind: 'policy_change', level: level.level, source: level.source, sha256: level.hash, valid: !level.error, ...(level.error ? { error: level.error } : {}) });
    }
    for (const name of [...this.seen.keys()]) {
      if (levels.some((level) => level.level === name)) continue;
      this.seen.delete(name);
      changes.push({ kind: 'policy_change', level: name, source: 'removed', sha256: '', valid: true });
    }
    const forAgent = (agent: string) => (levels.length > 0 ? new RunPolicy(levels, { agent, restricted: request.restricted }) : undefined);
    return { policy: forAgent(request.agent), forAgent, changes };
  }

  /**
   * "Always allow" as a rule: added to `.keel/policy.jsonc`, or to the `keel.policy` value the extension then saves.
   * Refused, with nothing written, when a deny or ask rule of any level as they stand now would catch what a rule
   * allows (it would never take effect: the host would ignore it), or when the file cannot be edited safely.
   * `record` puts the change in the audit log before the caller hears it was made.
   */
  async addAllowRules(request: AddAllowRulesRequest.Params, agent: string, record: (change: PolicyChange) => Promise<void>): Promise<AddAllowRulesResult> {
    const levels = readPolicyLevels({ ...this.sources, user: request.userPolicy });
    const now = new RunPolicy(levels, { agent, restricted: false });
    for (const rule of request.rules) {
      const caught = now.catches(rule);
      if (caught) throw new Error(l10n.t('{0}, and deny and ask rules win over allow rules, so an allow rule would never take effect. Nothing was written; change that rule if the call should run.', caught));
    }
    const kinds = new Set(request.rules.map((rule) => rule.list));
    if (kinds.size > 1) throw new Error(l10n.t('Add tool rules and command rules in separate requests.'));
    if (request.target === 'user') {
      const edited = addAllowRulesToSetting(request.userPolicy, request.rules, agent);
      if (!edited.ok) throw new Error(edited.error);
      const sha256 = hash(JSON.stringify(edited.value));
      await record({ kind: 'policy_change', level: 'user', source: 'setting keel.policy', sha256, valid: true });
      this.seen.set('user', sha256);
      return { summary: edited.summary, userPolicy: edited.value };
    }
    if (!this.sources.workspaceRoot) throw new Error(l10n.t('No workspace folder is open, so there is no {0} to write; choose your user settings instead.', '.keel/policy.jsonc'));
    const edited = writeWorkspaceAllowRules(this.sources.workspaceRoot, WORKSPACE_POLICY, request.rules, agent);
    if (!edited.ok) throw new Error(edited.error);
    const sha256 = hash(edited.text);
    await record({ kind: 'policy_change', level: 'workspace', source: WORKSPACE_POLICY, sha256, valid: true });
    this.seen.set('workspace', sha256);
    return { summary: edited.summary };
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The run request within the policy's limits: the fewer steps, the smaller per-run budget, the narrower hosts. */
export function withinPolicy(params: StartRunParams, policy: RunPolicy): StartRunParams {
  const maxSteps = Math.min(params.limits.maxSteps, policy.maxSteps ?? Infinity);
  const router = params.models.router as { budget?: { perRunUsd?: number } };
  const current = router.budget?.perRunUsd;
  const perRunUsd = policy.usdPerRun === undefined ? current : Math.min(current ?? Infinity, policy.usdPerRun);
  return {
    ...params,
    limits: { ...params.limits, maxSteps },
    models: perRunUsd === current ? params.models : { ...params.models, router: { ...params.models.router, budget: { ...router.budget, perRunUsd } } },
    allowHosts: policy.allowHosts(params.allowHosts ?? []),
  };
}
