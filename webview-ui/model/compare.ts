/** Two runs side by side: the figures a user compares when the same goal ran with another model or prompt. */
import * as l10n from '@vscode/l10n';
import type { SpanData } from '../../protocol/trace';
import { formatDuration } from '../duration';
import { formatCost, formatCount, runTitle, statusLabel } from './labels';

export interface RunFigures {
  readonly goal: string;
  readonly models: readonly string[];
  readonly outcome: string;
  /** Model calls. */
  readonly steps: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly durationMs: number;
  readonly errors: number;
  /** Tool name → calls, in order of first call. */
  readonly toolCalls: ReadonlyMap<string, number>;
}

export function runFigures(spans: readonly SpanData[]): RunFigures {
  const ids = new Set(spans.map((s) => s.spanId));
  const root = spans.find((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
  const models = new Set<string>();
  const toolCalls = new Map<string, number>();
  let steps = 0, inputTokens = 0, outputTokens = 0, costUsd = 0, errors = 0, end = 0;
  for (const span of [...spans].sort((a, b) => a.startTime - b.startTime)) {
    const a = span.attributes;
    if (span.operation === 'chat') {
      steps++;
      const model = a['gen_ai.response.model'] ?? a['gen_ai.request.model'] ?? span.name.replace(/^chat /, '');
      models.add(String(model));
    }
    if (span.operation === 'execute_tool') {
      const tool = String(a['gen_ai.tool.name'] ?? span.name.replace(/^execute_tool /, ''));
      toolCalls.set(tool, (toolCalls.get(tool) ?? 0) + 1);
    }
    inputTokens += positive(a['gen_ai.usage.input_tokens']);
    outputTokens += positive(a['gen_ai.usage.output_tokens']);
    costUsd += positive(a['keel.cost.usd']);
    if (span.status === 'error') errors++;
    end = Math.max(end, span.endTime ?? span.startTime);
  }
  const outcome = root?.attributes['keel.run.outcome'];
  return {
    goal: runTitle(root),
    models: [...models],
    outcome: typeof outcome === 'string' ? outcome : root ? root.status : 'unknown',
    steps, inputTokens, outputTokens, costUsd, errors,
    durationMs: root ? (root.endTime ?? end) - root.startTime : 0,
    toolCalls,
  };
}

export interface CompareLine {
  readonly label: string;
  readonly left: string;
  readonly right: string;
  readonly differs: boolean;
}

/** The aligned lines of a comparison: run figures first, then one line per tool either run called. */
export function compareLines(left: RunFigures, right: RunFigures): CompareLine[] {
  const line = (label: string, l: string, r: string): CompareLine => ({ label, left: l, right: r, differs: l !== r });
  const lines = [
    line(l10n.t('Goal'), left.goal, right.goal),
    line(l10n.t('Model'), left.models.join(', ') || '—', right.models.join(', ') || '—'),
    line(l10n.t('Outcome'), statusLabel(left.outcome), statusLabel(right.outcome)),
    line(l10n.t('Model calls'), String(left.steps), String(right.steps)),
    line(l10n.t('Input tokens'), formatCount(left.inputTokens), formatCount(right.inputTokens)),
    line(l10n.t('Output tokens'), formatCount(left.outputTokens), formatCount(right.outputTokens)),
    line(l10n.t('Cost'), formatCost(left.costUsd), formatCost(right.costUsd)),
    line(l10n.t('Latency'), formatDuration(left.durationMs), formatDuration(right.durationMs)),
    line(l10n.t('Errors'), String(left.errors), String(right.errors)),
  ];
  const tools = [...new Set([...left.toolCalls.keys(), ...right.toolCalls.keys()])];
  for (const tool of tools) lines.push(line(`Tool ${tool}`, String(left.toolCalls.get(tool) ?? 0), String(right.toolCalls.get(tool) ?? 0)));
  return lines;
}

function positive(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
