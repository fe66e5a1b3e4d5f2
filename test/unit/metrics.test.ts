import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { percentile, RunMetrics } from '../../host/observability/metrics';
import { traceStoreHistory } from '../../host/observability/metricsHistory';
import { TraceStore } from '../../host/observability/traceStore';
import type { AttributeValue, SpanData, SpanStatus } from '../../protocol/trace';
import { tempDir } from './helpers';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);

let ids = 0;
const id = () => (++ids).toString(16).padStart(16, '0');

/** A span that ended `endsAgo` before NOW after `ms`. */
function span(operation: string, init: { traceId?: string; parent?: string; endsAgo: number; ms: number; status?: SpanStatus; attributes?: Record<string, AttributeValue> }): SpanData {
  const endTime = NOW - init.endsAgo;
  return {
    traceId: init.traceId ?? id().repeat(2),
    spanId: id(),
    ...(init.parent ? { parentSpanId: init.parent } : {}),
    name: operation,
    operation,
    startTime: endTime - init.ms,
    endTime,
    status: init.status ?? 'ok',
    attributes: init.attributes ?? {},
  };
}

const run = (endsAgo: number, ms: number, outcome: string, cost = 0, agent = 'keel') =>
  span('invoke_agent', { endsAgo, ms, status: outcome === 'succeeded' ? 'ok' : outcome === 'cancelled' ? 'cancelled' : 'error', attributes: { 'gen_ai.agent.name': agent, 'keel.run.outcome': outcome, 'keel.cost.usd': cost, 'keel.run.id': `run-${id()}` } });
const chat = (endsAgo: number, ms: number, model: string, extra: { parent?: string; status?: SpanStatus; cost?: number; input?: number; output?: number } = {}) =>
  span('chat', { endsAgo, ms, parent: extra.parent ?? 'ffffffffffffffff', status: extra.status, attributes: { 'gen_ai.request.model': model, 'keel.cost.usd': extra.cost ?? 0, 'gen_ai.usage.input_tokens': extra.input ?? 0, 'gen_ai.usage.output_tokens': extra.output ?? 0 } });
const tool = (endsAgo: number, ms: number, name: string, status: SpanStatus = 'ok') => span('execute_tool', { endsAgo, ms, parent: 'ffffffffffffffff', status, attributes: { 'gen_ai.tool.name': name } });

describe('metrics from spans', () => {
  it('takes nearest-rank percentiles', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(hundred, 0.5), 50);
    assert.equal(percentile(hundred, 0.95), 95);
    assert.equal(percentile([7], 0.95), 7);
    assert.equal(percentile([], 0.5), null);
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
  });

  it('computes completion and error rates, run latency and cost per task over each window', () => {
    const metrics = new RunMetrics(undefined, NOW - 8 * 24 * HOUR);
    metrics.record(run(10 * MIN, 1000, 'succeeded', 0.02));
    metrics.record(run(20 * MIN, 3000, 'failed', 0.01));
    metrics.record(run(30 * MIN, 2000, 'cancelled', 0));
    metrics.record(run(5 * HOUR, 9000, 'succeeded', 0.5));
    metrics.record(run(3 * 24 * HOUR, 4000, 'failed', 1));
    // Older than seven days: gone.
    metrics.record(run(8 * 24 * HOUR, 4000, 'failed', 1));

    const hour = metrics.snapshot('1h', NOW);
    assert.deepEqual(hour.tasks, { finished: 3, succeeded: 1, failed: 1, cancelled: 1, interrupted: 0, running: 0 });
    assert.equal(hour.completionRate, 1 / 3);
    assert.equal(hour.errorRate, 1 / 3);
    assert.deepEqual(hour.latency.run, { count: 3, p50Ms: 2000, p95Ms: 3000 });
    assert.ok(Math.abs(hour.costUsd - 0.03) < 1e-12);
    assert.ok(Math.abs(hour.costPerTaskUsd! - 0.01) < 1e-12);

    const day = metrics.snapshot('24h', NOW);
    assert.equal(day.tasks.finished, 4);
    assert.equal(day.latency.run.p95Ms, 9000);
    const week = metrics.snapshot('7d', NOW);
    assert.equal(week.tasks.finished, 5);
    assert.equal(week.errorRate, 2 / 5);
    assert.ok(Math.abs(week.costUsd - 1.53) < 1e-9);
  });

  it('breaks model calls, tool calls and runs down per model, tool and agent, with buckets for the charts', () => {
    const metrics = new RunMetrics(undefined, NOW - HOUR);
    for (let i = 1; i <= 20; i++) metrics.record(chat(i * MIN, i * 100, 'gpt-4o-mini', { cost: 0.001, input: 100, output: 10 }));
    metrics.record(chat(2 * MIN, 30_000, 'qwen2.5-coder:7b', { status: 'error' }));
    // A sampling request of an MCP server: a model call outside any run, whose cost counts on its own.
    metrics.record({ ...chat(3 * MIN, 500, 'gpt-4o-mini', { cost: 0.25 }), parentSpanId: undefined });
    // One that failed before the router chose a model.
    metrics.record({ ...chat(3 * MIN, 500, 'x'), parentSpanId: undefined, attributes: { 'keel.cost.usd': 0.25 } });
    for (let i = 0; i < 5; i++) metrics.record(tool(i * MIN + 1, 10, 'read_file'));
    metrics.record(tool(MIN, 5000, 'run_command', 'error'));
    metrics.record(run(MIN, 60_000, 'succeeded', 0.02, 'keel'));
    metrics.record(run(2 * MIN, 1_000, 'failed', 0, 'reviewer'));

    const snapshot = metrics.snapshot('1h', NOW);
    assert.deepEqual(snapshot.byModel.map((row) => [row.key, row.count, row.errors]), [['gpt-4o-mini', 21, 0], ['qwen2.5-coder:7b', 1, 1], ['unknown', 1, 0]]);
    const mini = snapshot.byModel[0]!;
    assert.equal(mini.p50Ms, 1000);
    assert.equal(mini.p95Ms, 1900);
    assert.equal(mini.inputTokens, 2000);
    assert.deepEqual(snapshot.byTool.map((row) => [row.key, row.count, row.errors, row.p95Ms]), [['read_file', 5, 0, 10], ['run_command', 1, 1, 5000]]);
    assert.deepEqual(snapshot.byAgent.map((row) => [row.key, row.count, row.errors]), [['keel', 1, 0], ['reviewer', 1, 1]]);
    assert.deepEqual(snapshot.modelCalls, { count: 23, errors: 1 });
    assert.deepEqual(snapshot.toolCalls, { count: 6, errors: 1 });
    assert.deepEqual(snapshot.tokens, { input: 2000, output: 200 });
    // Tasks' cost, plus the two sampling calls; the calls inside runs are in their runs' cost.
    assert.ok(Math.abs(snapshot.costUsd - 0.52) < 1e-12, String(snapshot.costUsd));

    assert.equal(snapshot.bucketMs, 5 * MIN);
    assert.equal(snapshot.buckets.length, 12);
    assert.equal(snapshot.buckets.reduce((n, b) => n + b.modelCalls, 0), 23);
    assert.equal(snapshot.buckets.reduce((n, b) => n + b.toolCalls, 0), 6);
    const last = snapshot.buckets.at(-1)!;
    // The last five minutes: chats that ended 1–4 minutes ago (and one at 5 minutes minus a millisecond's slice).
    assert.ok(last.modelCalls >= 4 && last.runs === 2 && last.failedRuns === 1, JSON.stringify(last));
  });

  it('counts a workflow as one task, not each of its agents', () => {
    const metrics = new RunMetrics(undefined, NOW - HOUR);
    const workflow = span('invoke_workflow', { endsAgo: MIN, ms: 5000, attributes: { 'gen_ai.agent.name': 'workflow', 'keel.run.outcome': 'succeeded', 'keel.cost.usd': 0.03, 'keel.run.id': 'run-w' } });
    metrics.record(span('invoke_agent', { traceId: workflow.traceId, parent: workflow.spanId, endsAgo: 2 * MIN, ms: 1000, attributes: { 'gen_ai.agent.name': 'keel', 'keel.run.outcome': 'succeeded', 'keel.run.id': 'run-w' } }));
    metrics.record(workflow);
    const hour = metrics.snapshot('1h', NOW);
    assert.equal(hour.tasks.finished, 1);
    assert.equal(hour.tasks.succeeded, 1);
    assert.deepEqual(hour.latency.run, { count: 1, p50Ms: 5000, p95Ms: 5000 });
  });

  it('counts tasks that have started and not ended as running, and forgets them when they end', () => {
    const metrics = new RunMetrics(undefined, NOW - HOUR);
    const started: SpanData = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'invoke_agent keel', operation: 'invoke_agent', startTime: NOW - 40 * MIN, status: 'running', attributes: { 'keel.run.id': 'run-1', 'keel.run.goal': 'fix it' } };
    metrics.record(started);
    assert.deepEqual(metrics.runningRuns(), [{ runId: 'run-1', traceId: 'a'.repeat(32), goal: 'fix it', startTime: NOW - 40 * MIN }]);
    assert.equal(metrics.snapshot('1h', NOW).tasks.running, 1);
    metrics.record({ ...started, endTime: NOW - MIN, status: 'ok', attributes: { ...started.attributes, 'keel.run.outcome': 'succeeded' } });
    assert.deepEqual(metrics.runningRuns(), []);
    assert.equal(metrics.snapshot('1h', NOW).tasks.succeeded, 1);
  });

  it('shrugs off garbage attributes: strings for numbers, NaN, negative costs, huge names', () => {
    const metrics = new RunMetrics(undefined, NOW - HOUR);
    metrics.record(span('chat', { endsAgo: MIN, ms: 10, parent: 'f'.repeat(16), attributes: { 'gen_ai.request.model': 'm'.repeat(10_000), 'keel.cost.usd': Number.NaN, 'gen_ai.usage.input_tokens': '12' as unknown as number, 'gen_ai.usage.output_tokens': -5 } }));
    const snapshot = metrics.snapshot('1h', NOW);
    assert.deepEqual(snapshot.tokens, { input: 0, output: 0 });
    assert.equal(snapshot.costUsd, 0);
    assert.equal(snapshot.byModel[0]!.key.length, 200);
  });

  it('keeps memory bounded under a flood of spans', function () {
    this.timeout(20_000);
    const metrics = new RunMetrics(undefined, NOW - HOUR);
    for (let i = 0; i < 250_000; i++) metrics.record(tool(HOUR - i / 100, 1, 'read_file'));
    const started = performance.now();
    const snapshot = metrics.snapshot('7d', NOW);
    assert.equal(snapshot.toolCalls.count, 200_000);
    assert.ok(performance.now() - started < 2000);
  });

  it('rebuilds the past seven days from the trace store, counting a run the host died in as interrupted and nothing twice', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir);
    const before = NOW - 30 * MIN;
    const finished = run(HOUR, 5000, 'succeeded', 0.1);
    const call = chat(HOUR + 1000, 2000, 'gpt-4o-mini', { parent: finished.spanId, cost: 0.1, input: 50, output: 5 });
    const read = tool(HOUR + 500, 40, 'read_file');
    for (const s of [{ ...finished, endTime: undefined, status: 'running' as const }, { ...call, traceId: finished.traceId }, { ...read, traceId: finished.traceId, parentSpanId: finished.spanId }, finished]) store.record(s);
    const dead = { ...run(2 * HOUR, 1000, 'succeeded'), endTime: undefined, status: 'running' as const };
    store.record(dead);
    const old = run(9 * 24 * HOUR, 1000, 'failed');
    store.record(old);
    await store.flush();
    // A torn line and a line that is JSON but no span, as a kill or another writer might leave.
    await appendFile(join(dir, `${finished.traceId}.jsonl`), '{"traceId": "x", "spanId": 3}\n{"traceId":"');

    const metrics = new RunMetrics(traceStoreHistory(dir, { now: () => NOW }), before);
    // Live: a span that ended after this host started.
    metrics.record(tool(MIN, 10, 'list_files'));
    await metrics.loadHistory();
    const snapshot = metrics.snapshot('24h', NOW);
    assert.deepEqual(snapshot.tasks, { finished: 2, succeeded: 1, failed: 0, cancelled: 0, interrupted: 1, running: 0 });
    assert.equal(snapshot.errorRate, 0.5);
    assert.deepEqual(snapshot.byModel.map((r) => [r.key, r.count, r.inputTokens]), [['gpt-4o-mini', 1, 50]]);
    assert.deepEqual(snapshot.byTool.map((r) => [r.key, r.count]), [['list_files', 1], ['read_file', 1]]);
    assert.equal(snapshot.latency.run.count, 1);
    assert.equal(snapshot.loadingHistory, false);
    // A second load reads nothing again.
    await metrics.loadHistory();
    assert.equal(metrics.snapshot('24h', NOW).tasks.finished, 2);
  });

  it('reads no more trace bytes than its budget, still counting the runs whose files it skipped', async () => {
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    const root = run(HOUR, 1000, 'succeeded');
    const call = chat(HOUR + 10, 500, 'big-model', { parent: root.spanId });
    await writeFile(join(dir, 'index.jsonl'), `${JSON.stringify(root)}\n`);
    await writeFile(join(dir, `${root.traceId}.jsonl`), `${JSON.stringify({ ...call, traceId: root.traceId })}\n${JSON.stringify(root)}\n`);
    const metrics = new RunMetrics(traceStoreHistory(dir, { now: () => NOW, maxBytes: 10 }), NOW);
    await metrics.loadHistory();
    const snapshot = metrics.snapshot('24h', NOW);
    assert.equal(snapshot.tasks.finished, 1);
    assert.equal(snapshot.modelCalls.count, 0);
  });
});
