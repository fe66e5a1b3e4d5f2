import * as l10n from '@vscode/l10n';
import type { ChatMessage } from './types';

export type Difficulty = 'easy' | 'hard';

export interface DifficultyVerdict {
  readonly difficulty: Difficulty;
  /** Why, in a few words, for the route reason shown in traces. */
  readonly reason: string;
}

/** The run a goal belongs to, so a classifier that calls a model is billed and kept private like the run. */
export interface ClassifiedRun {
  readonly runId: string;
  readonly agent: string;
  readonly localOnly: boolean;
}

/**
 * Decides whether a goal needs the strong model (RouteLLM's idea: send easy goals to a weak, cheap model and
 * hard ones to a strong model). The router asks once per run and keeps the answer.
 */
export interface DifficultyClassifier {
  classify(goal: string, run: ClassifiedRun, signal: AbortSignal): Promise<DifficultyVerdict>;
}

/** Words that signal design, diagnosis or wide changes. Stems, so "migrate" and "migration" both count. */
const HARD_WORDS =
  /\b(refactor|redesign|design|architect|migrat|rewrite|implement|optimi[sz]|performance|faster|slow|profil|concurren|race condition|deadlock|leak|secur|vulnerab|audit|encrypt|debug|investigat|root cause|why|figure out|find out|flaky|intermittent|across|callers|entire|whole|codebase|multiple|upgrade|idempoten|distributed|multi-tenant|internationali)/gi;
/** Words that signal a small, local, mechanical change. */
const EASY_WORDS = /\b(rename|typo|spelling|comment|docstring|jsdoc|indent|whitespace|semicolon|bump|changelog|copyright|readme|label|log level|unused import)/gi;
/** Paths and file names (`src/a.ts`, `scripts/`, `*.js`): each distinct one is a place the change may touch. */
const FILE_MENTION = /(?:[\w.*-]+\/)+[\w.*-]*|\b[\w-]+\.(?:ts|tsx|js|jsx|mjs|cjs|py|go|rs|java|kt|cs|c|cc|cpp|h|hpp|rb|php|swift|json|ya?ml|toml|md|css|scss|html|sql|sh)\b/gi;

const LONG_GOAL_CHARS = 800;
const MANY_FILES = 3;
/** Score at which a goal counts as hard: one hard word not outweighed by easy ones, or many files. */
const HARD_SCORE = 2;

/**
 * Scores a goal without any model call: hard words count 2, easy words −1, mentioning three or more files
 * (or a glob) 2, a very long goal 1. Cheap and deterministic, but blind to meaning; the model-backed
 * classifier is there for users who prefer one more small call per run.
 */
export class HeuristicClassifier implements DifficultyClassifier {
  async classify(goal: string): Promise<DifficultyVerdict> {
    return classifyByHeuristic(goal);
  }
}

export function classifyByHeuristic(goal: string): DifficultyVerdict {
  const hard = distinct(goal.match(HARD_WORDS));
  const easy = distinct(goal.match(EASY_WORDS));
  const files = distinct(goal.match(FILE_MENTION));
  const manyFiles = files.length >= MANY_FILES || files.some((file) => file.includes('*'));
  const long = goal.length > LONG_GOAL_CHARS;
  const score = 2 * hard.length - easy.length + (manyFiles ? 2 : 0) + (long ? 1 : 0);
  const signs = [
    ...(hard.length ? [l10n.t('hard words {0}', quoteList(hard))] : []),
    ...(easy.length ? [l10n.t('easy words {0}', quoteList(easy))] : []),
    ...(files.length ? [filesNamed(files.length, manyFiles)] : []),
    ...(long ? [l10n.t('{0} characters long', goal.length)] : []),
  ];
  const difficulty: Difficulty = score >= HARD_SCORE ? 'hard' : 'easy';
  return { difficulty, reason: l10n.t('heuristic score {0}: {1}', score, signs.join(', ') || l10n.t('no signs of a large task')) };
}

function filesNamed(count: number, many: boolean): string {
  if (count === 1) return many ? l10n.t('{0} file named (many)', count) : l10n.t('{0} file named', count);
  return many ? l10n.t('{0} files named (many)', count) : l10n.t('{0} files named', count);
}

const ROUTE_PROMPT = [
  'You judge how hard a coding task is for an AI coding agent.',
  'Answer with exactly one word:',
  'easy: a small, local change whose place and content the task makes clear;',
  'hard: it needs design, debugging or investigation, or changes across many files.',
].join('\n');

/**
 * Asks the model with the `route` role for a one-word verdict. When that model is unavailable or answers
 * anything else, the heuristic decides, and the reason says so.
 */
export class ModelClassifier implements DifficultyClassifier {
  constructor(
    private readonly ask: (messages: ChatMessage[], run: ClassifiedRun, signal: AbortSignal) => Promise<string>,
    private readonly fallback: DifficultyClassifier = new HeuristicClassifier(),
  ) {}

  async classify(goal: string, run: ClassifiedRun, signal: AbortSignal): Promise<DifficultyVerdict> {
    let answer: string;
    try {
      answer = await this.ask([{ role: 'system', content: ROUTE_PROMPT }, { role: 'user', content: goal }], run, signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const verdict = await this.fallback.classify(goal, run, signal);
      return { difficulty: verdict.difficulty, reason: l10n.t('router model failed ({0}); {1}', firstLine(error), verdict.reason) };
    }
    const word = /\b(easy|hard)\b/i.exec(answer)?.[1]?.toLowerCase() as Difficulty | undefined;
    if (word) return { difficulty: word, reason: l10n.t('router model said so') };
    const verdict = await this.fallback.classify(goal, run, signal);
    return { difficulty: verdict.difficulty, reason: l10n.t('router model answered {0}; {1}', JSON.stringify(answer.slice(0, 40)), verdict.reason) };
  }
}

function distinct(matches: RegExpMatchArray | null): string[] {
  return [...new Set((matches ?? []).map((m) => m.toLowerCase()))];
}

function quoteList(words: readonly string[]): string {
  return words.map((w) => `"${w}"`).join(', ');
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 120);
}
