/** Call counts per tool since the host started, for "Keel: Show Tools" and metrics. */
export class ToolStats {
  private readonly byTool = new Map<string, { calls: number; failures: number; lastDurationMs?: number }>();

  record(tool: string, ok: boolean, durationMs: number): void {
    const entry = this.byTool.get(tool) ?? { calls: 0, failures: 0 };
    entry.calls++;
    if (!ok) entry.failures++;
    entry.lastDurationMs = Math.round(durationMs);
    this.byTool.set(tool, entry);
  }

  get(tool: string): { calls: number; failures: number; lastDurationMs?: number } {
    return this.byTool.get(tool) ?? { calls: 0, failures: 0 };
  }
}
