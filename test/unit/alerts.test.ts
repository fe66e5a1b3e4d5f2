import assert from 'node:assert/strict';
import { AlertMonitor, NO_ALERT_RULES } from '../../host/observability/alerts';
import { RunMetrics } from '../../host/observability/metrics';
import type { AlertRules } from '../../protocol/metrics';
import type { AlertsChanged } from '../../protocol/rpc';
import type { SpanData } from '../../protocol/trace';

const MIN = 60_000;
const START = new Date(2026, 11, 6, 12, 0, 0).getTime();

describe('alerts', () => {
  let now: number;
  let metrics: RunMetrics;
  let changes: AlertsChanged[];
  let records: string[];
  let deadLetters: number;
  let monitor: AlertMonitor;
  let seq = 0;

  beforeEach(() => {
    now = START;
    metrics = new RunMetrics(undefined, START - 60 * MIN);
    changes = [];
    records = [];
    deadLetters = 0;
    monitor = new AlertMonitor({ metrics, changed: (c) => changes.push(c), record: (state, alert) => records.push(`${state}:${alert.id}`), deadLetters: () => deadLetters, now: () => now });
  });
  afterEach(() => monitor.dispose());

  const rules = (overrides: Partial<AlertRules>): AlertRules => ({ ...NO_ALERT_RULES, ...overrides });

  function root(outcome: string, at = now, cost = 0, runId = `run-${++seq}`): SpanData {
    return {
      traceId: seq.toString(16).padStart(32, '0'), spanId: seq.toString(16).padStart(16, '0'), name: 'invoke_agent keel', operation: 'invoke_agent',
      startTime: at - 1000, endTime: at, status: outcome === 'succeeded' ? 'ok' : 'error',
      attributes: { 'keel.run.id': runId, 'keel.run.outcome': outcome, 'keel.cost.usd': cost, 'gen_ai.agent.name': 'keel' },
    };
  }

  it('fires an error-rate alert once per episode, clears it, and fires it again only after it cleared', async () => {
    await monitor.setRules(rules({ errorRate: { threshold: 0.5, window: '1h', minRuns: 4 } }));
    for (const outcome of ['failed', 'failed', 'failed']) metrics.record(root(outcome));
    monitor.evaluate();
    assert.equal(changes.length, 0, 'under minRuns, no alert');
    metrics.record(root('failed'));
    monitor.evaluate();
    monitor.evaluate();
    metrics.record(root('failed'));
    monitor.evaluate();
    assert.deepEqual(records, ['fired:errorRate'], 'fired once while it holds');
    assert.match(changes[0]!.fired[0]!.message, /100% of the runs that finished in the last hour failed \(4 of 4\), above the 50% alert threshold/);
    assert.equal(changes[0]!.fired[0]!.since, START);
    assert.deepEqual(monitor.list().map((a) => a.id), ['errorRate']);

    for (let i = 0; i < 6; i++) metrics.record(root('succeeded'));
    monitor.evaluate();
    assert.deepEqual(records, ['fired:errorRate', 'cleared:errorRate']);
    assert.deepEqual(changes[1]!.active, []);

    for (let i = 0; i < 6; i++) metrics.record(root('failed'));
    now += MIN;
    monitor.evaluate();
    assert.deepEqual(records, ['fired:errorRate', 'cleared:errorRate', 'fired:errorRate']);
    assert.equal(monitor.list()[0]!.since, START + MIN);

    // The failures age out of the window: the episode ends by itself.
    now += 61 * MIN;
    monitor.evaluate();
    assert.deepEqual(records.at(-1), 'cleared:errorRate');
  });

  it('raises one alert per stuck run, and clears it when that run ends', async () => {
    await monitor.setRules(rules({ stuckRunMinutes: 30 }));
    const started: SpanData = { ...root('succeeded', now, 0, 'run-stuck'), startTime: now, endTime: undefined, status: 'running', attributes: { 'keel.run.id': 'run-stuck', 'keel.run.goal': 'refactor everything' } };
    metrics.record(started);
    metrics.record({ ...root('succeeded', now, 0, 'run-other'), startTime: now, endTime: undefined, status: 'running' });
    now += 30 * MIN;
    monitor.evaluate();
    assert.equal(records.length, 0, 'exactly 30 minutes is not longer than 30');
    now += MIN;
    monitor.evaluate();
    assert.deepEqual(records.sort(), ['fired:stuckRun:run-other', 'fired:stuckRun:run-stuck']);
    const alert = monitor.list().find((a) => a.runId === 'run-stuck')!;
    assert.equal(alert.traceId, started.traceId);
    assert.match(alert.message, /Run run-stuck \("refactor everything"\) has been going for 31 minutes, longer than the 30-minute alert limit/);
    metrics.record({ ...started, endTime: now, status: 'ok' });
    monitor.evaluate();
    assert.deepEqual(records.slice(2), ['cleared:stuckRun:run-stuck']);
    assert.deepEqual(monitor.list().map((a) => a.id), ['stuckRun:run-other']);
  });

  it('bounds the cost of the day, counting from local midnight', async () => {
    await monitor.setRules(rules({ costPerDayUsd: 1 }));
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    // Yesterday's spending does not count today.
    metrics.record(root('succeeded', midnight.getTime() - MIN, 5));
    metrics.record(root('succeeded', now - MIN, 0.6));
    monitor.evaluate();
    assert.deepEqual(records, []);
    metrics.record(root('succeeded', now, 0.6));
    monitor.evaluate();
    assert.deepEqual(records, ['fired:costPerDay']);
    assert.match(monitor.list()[0]!.message, /Models cost \$1\.20 today, over the \$1\.00 alert bound/);
    // The next day starts with nothing spent.
    now = midnight.getTime() + 24 * 60 * MIN + MIN;
    monitor.evaluate();
    assert.deepEqual(records, ['fired:costPerDay', 'cleared:costPerDay']);
  });

  it('watches a p95 latency over enough calls, and the dead-letter queue', async () => {
    await monitor.setRules(rules({ p95Latency: { of: 'toolCall', seconds: 2, window: '1h' }, deadLetters: true }));
    const tool = (ms: number): SpanData => ({ traceId: 'c'.repeat(32), spanId: (++seq).toString(16).padStart(16, '0'), parentSpanId: 'd'.repeat(16), name: 'execute_tool run_command', operation: 'execute_tool', startTime: now - ms, endTime: now, status: 'ok', attributes: { 'gen_ai.tool.name': 'run_command' } });
    for (let i = 0; i < 4; i++) metrics.record(tool(5000));
    monitor.evaluate();
    assert.deepEqual(records, [], 'four calls are too few for a p95');
    metrics.record(tool(5000));
    monitor.evaluate();
    assert.deepEqual(records, ['fired:p95Latency']);
    assert.match(monitor.list()[0]!.message, /p95 latency of tool calls over the last hour is 5\.0 s, above the 2 s alert bound/);

    deadLetters = 2;
    monitor.evaluate();
    assert.deepEqual(records, ['fired:p95Latency', 'fired:deadLetters']);
    deadLetters = 0;
    monitor.evaluate();
    assert.deepEqual(records.at(-1), 'cleared:deadLetters');
  });

  it('clears the alerts of a rule that is turned off, and keeps an episode going when only its threshold moves', async () => {
    await monitor.setRules(rules({ costPerDayUsd: 1 }));
    metrics.record(root('succeeded', now, 3));
    monitor.evaluate();
    assert.deepEqual(await monitor.setRules(rules({ costPerDayUsd: 2 })).then((a) => a.map((x) => x.id)), ['costPerDay']);
    assert.deepEqual(records, ['fired:costPerDay']);
    assert.deepEqual(await monitor.setRules(rules({ costPerDayUsd: null })), []);
    assert.deepEqual(records, ['fired:costPerDay', 'cleared:costPerDay']);
  });

  it('checks soon after spans end, once for a burst', async () => {
    await monitor.setRules(rules({ costPerDayUsd: 0.5 }));
    metrics.record(root('succeeded', now, 1));
    for (let i = 0; i < 100; i++) monitor.checkSoon();
    await new Promise((resolve) => setTimeout(resolve, 1300));
    assert.deepEqual(records, ['fired:costPerDay']);
    assert.equal(changes.length, 1);
  });
});
