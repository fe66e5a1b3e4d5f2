/** How the viewer words spans: readable attribute labels, durations, tokens and costs, run titles. */
import type { AttributeValue, SpanData } from '../../protocol/trace';
import type { Rollup } from './traceIndex';

const LABELS: Readonly<Record<string, string>> = {
  'gen_ai.operation.name': 'Operation',
  'gen_ai.agent.name': 'Agent',
  'gen_ai.request.model': 'Model requested',
  'gen_ai.response.model': 'Model',
  'gen_ai.response.finish_reasons': 'Finish reasons',
  'gen_ai.usage.input_tokens': 'Input tokens',
  'gen_ai.usage.output_tokens': 'Output tokens',
  'gen_ai.tool.name': 'Tool',
  'gen_ai.tool.call.id': 'Tool call id',
  'gen_ai.provider.name': 'Provider',
  'keel.cost.usd': 'Cost',
  'keel.run.id': 'Run id',
  'keel.run.goal': 'Goal',
  'keel.run.outcome': 'Outcome',
  'keel.run.steps': 'Steps',
  'keel.route.reason': 'Why this model',
  'keel.route.model_id': 'Routed model',
  'keel.file.path': 'File',
  'keel.tool.risk': 'Risk',
  'keel.tool.source': 'Tool from',
  'keel.approval.decision': 'Decision',
  'keel.approval.decided_by': 'Decided by',
  'keel.usage.estimated': 'Tokens estimated',
};

/** A readable label for an attribute key: a known one, else the key's words without its namespace. */
export function attributeLabel(key: string): string {
  const known = LABELS[key];
  if (known) return known;
  const words = key.replace(/^(gen_ai|keel)\./, '').split(/[._]+/).filter(Boolean).join(' ');
  return words ? words[0]!.toUpperCase() + words.slice(1) : key;
}

export function attributeValue(key: string, value: AttributeValue): string {
  if (typeof value === 'number') {
    if (key === 'keel.cost.usd') return formatCost(value);
    if (key.endsWith('_ms')) return formatDuration(value);
    if (key.endsWith('_bytes')) return formatBytes(value);
    if (key.endsWith('tokens')) return formatCount(value);
  }
  return String(value);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatCost(usd: number): string {
  if (usd <= 0) return '$0';
  return `$${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2)}`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Tokens and cost of a rollup, e.g. `1,200→340 tok · $0.0031`; empty when it has none. */
export function usageText(r: Rollup): string {
  const parts: string[] = [];
  if (r.inputTokens > 0 || r.outputTokens > 0) parts.push(`${formatCount(r.inputTokens)}→${formatCount(r.outputTokens)} tok`);
  if (r.costUsd > 0) parts.push(formatCost(r.costUsd));
  return parts.join(' · ');
}

/** A run's title: the goal its root span records, else the root's name. */
export function runTitle(root: SpanData | undefined): string {
  const goal = root?.attributes['keel.run.goal'];
  if (typeof goal === 'string' && goal.trim()) return goal.trim();
  return root?.name ?? 'Run';
}

/** A file path a span names: `keel.file.path`, or a `path` tool argument. */
export function filePathOf(span: SpanData, content?: Readonly<Record<string, unknown>> | null): string | undefined {
  const path = span.attributes['keel.file.path'];
  if (typeof path === 'string' && path) return path;
  const args = content?.['gen_ai.tool.call.arguments'];
  const fromArgs = typeof args === 'object' && args !== null ? (args as { path?: unknown }).path : undefined;
  return typeof fromArgs === 'string' && fromArgs ? fromArgs : undefined;
}
