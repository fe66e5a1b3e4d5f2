export interface Scored {
  readonly id: string;
  readonly score: number;
}

/**
 * Hybrid ranking as Orama does it: BM25 scores divided by the best one, similarities divided by the best one,
 * weighted equally and summed. A chunk found by one side only gets that side's half.
 */
export function fuseRankings(lexical: readonly Scored[], semantic: readonly Scored[], limit: number): Scored[] {
  const scores = new Map<string, number>();
  for (const [ranking, best] of [lexical, semantic].map((r) => [r, Math.max(0, ...r.map((s) => s.score))] as const)) {
    if (best <= 0) continue;
    for (const { id, score } of ranking) if (score > 0) scores.set(id, (scores.get(id) ?? 0) + (0.5 * score) / best);
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score).slice(0, limit);
}
