import type { StartRunParams } from '../../../protocol/rpc';
import type { AuditEvent } from '../auditLog';
import { readPolicyLevels, type LevelName, type PolicySources } from './policyLevels';
import { RunPolicy } from './runPolicy';

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
