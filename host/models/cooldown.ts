import type { CooldownPolicy } from './routerSettings';

/**
 * Deployments that failed too often lately are skipped for a while, as LiteLLM's router does, so one dead
 * server does not cost every call a timeout or a round of retries. The state is shared by all runs.
 */
export class Cooldowns {
  private readonly failures = new Map<string, number[]>();
  private readonly until = new Map<string, number>();

  constructor(private readonly policy: CooldownPolicy, private readonly now: () => number) {}

  /** When the deployment's cooldown ends, or undefined when it may be used now. */
  coolingUntil(id: string): number | undefined {
    const end = this.until.get(id);
    if (end !== undefined && end <= this.now()) this.until.delete(id);
    return end !== undefined && end > this.now() ? end : undefined;
  }

  /** Counts a failure; returns true when it was the one that put the deployment on cooldown. */
  recordFailure(id: string): boolean {
    const now = this.now();
    const recent = (this.failures.get(id) ?? []).filter((at) => at > now - this.policy.windowMs);
    recent.push(now);
    if (recent.length < this.policy.failures) {
      this.failures.set(id, recent);
      return false;
    }
    this.failures.delete(id);
    this.coolFor(id, this.policy.durationMs);
    return true;
  }

  /** Cools a deployment down at once, e.g. for a rejected key or a long Retry-After. */
  coolFor(id: string, ms: number): void {
    this.until.set(id, Math.max(this.until.get(id) ?? 0, this.now() + ms));
  }

  recordSuccess(id: string): void {
    this.failures.delete(id);
  }
}
