/** How the viewer words spans: readable attribute labels, durations, tokens and costs, run titles. */
import * as l10n from '@vscode/l10n';
import type { AttributeValue, SpanData } from '../../protocol/trace';
import { formatDuration } from '../duration';
import type { Rollup } from './traceIndex';
import { runStateLabel } from '../../protocol/stateLabels';

const LABELS: Readonly<Record<string, string>> = {
  'gen_ai.operation.name': l10n.t('Operation'),
  'gen_ai.agent.name': l10n.t('Agent'),
  'gen_ai.request.model': l10n.t('Model requested'),
  'gen_ai.response.model': l10n.t('Model'),
  'gen_ai.response.finish_reasons': l10n.t('Finish reasons'),
  'gen_ai.usage.input_tokens': l10n.t('Input tokens'),
  'gen_ai.usage.output_tokens': l10n.t('Output tokens'),
  'gen_ai.tool.name': l10n.t('Tool'),
  'gen_ai.tool.call.id': l10n.t('Tool call id'),
  'gen_ai.provider.name': l10n.t('Provider'),
  'keel.cost.usd': l10n.t('Cost'),
  'keel.run.id': l10n.t('Run id'),
  'keel.run.goal': l10n.t('Goal'),
  'keel.run.outcome': l10n.t('Outcome'),
  'keel.run.steps': l10n.t('Steps'),
  'keel.route.reason': l10n.t('Why this model'),
  'keel.route.model_id': l10n.t('Routed model'),
  'keel.file.path': l10n.t('File'),
  'keel.tool.risk': l10n.t('Risk'),
  'keel.tool.source': l10n.t('Tool from'),
  'keel.approval.decision': l10n.t('Decision'),
  'keel.approval.decided_by': l10n.t('Decided by'),
  'keel.usage.estimated': l10n.t('Tokens estimated'),
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
  if (r.inputTokens > 0 || r.outputTokens > 0) parts.push(tokensText(r.inputTokens, r.outputTokens));
  if (r.costUsd > 0) parts.push(formatCost(r.costUsd));
  return parts.join(' · ');
}

/** Tokens in and out, as short as a row needs. */
export function tokensText(input: number, output: number): string {
  return l10n.t({ message: '{0}→{1} tok', args: [formatCount(input), formatCount(output)], comment: ['Input tokens → output tokens; tok is short for tokens.'] });
}

/**
 * A span's status or a run's outcome as the viewer words it; the data keeps its value (classes, filters). A value
 * this does not know (an outcome another version recorded) is shown as it is.
 */
export function statusLabel(status: string): string {
  switch (status) {
    case 'ok': return l10n.t('ok');
    case 'error': return l10n.t('error');
    case 'unknown': return l10n.t('unknown');
    case 'running':
    case 'cancelled':
    case 'succeeded':
    case 'failed':
    case 'interrupted':
      return runStateLabel(status);
    default: return status;
  }
}

/** A run's title: the goal its root span records, else the root's name. */
export function runTitle(root: SpanData | undefined): string {
  const goal = root?.attributes['keel.run.goal'];
  if (typeof goal === 'string' && goal.trim()) return goal.trim();
  return root?.name ?? l10n.t('Run');
}

/** A file path a span names: `keel.file.path`, or a `path` tool argument. */
export function filePathOf(span: SpanData, content?: Readonly<Record<string, unknown>> | null): string | undefined {
  const path = span.attributes['keel.file.path'];
  if (typeof path === 'string' && path) return path;
  const args = content?.['gen_ai.tool.call.arguments'];
  const fromArgs = typeof args === 'object' && args !== null ? (args as { path?: unknown }).path : undefined;
  return typeof fromArgs === 'string' && fromArgs ? fromArgs : undefined;
}
