import assert from 'node:assert/strict';
import { appendFile, readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { TraceStore } from '../../host/observability/traceStore';
import type { SpanData } from '../../protocol/trace';
import { tempDir } from './helpers';

let clock = 1_000_000;

function span(traceId: string, spanId: string, extra: Partial<SpanData> = {}): SpanData {
  return { traceId, spanId, name: `span ${spanId}`, operation: 'execute_tool', startTime: clock++, status: 'running', attributes: {}, ...extra };
}

/** A finished run: its root with run attributes, and one tool span, each recorded as it starts and ends. */
function recordRun(store: TraceStore, traceId: string, goal: string, outcome = 'succeeded'): void {
  const root = span(traceId, `${traceId}-root`, { name: 'invoke_agent keel', operation: 'invoke_agent', attributes: { 'keel.run.id': `run-${traceId}`, 'keel.run.goal': goal, 'gen_ai.agent.name': 'keel' } });
  const tool = span(traceId, `${traceId}-tool`, { parentSpanId: root.spanId, attributes: { 'gen_ai.tool.name': 'read_file', 'keel.file.path': `${goal}.txt` } });
  store.record(root);
  store.record(tool);
  store.record({ ...tool, status: 'running', attributes: { ...tool.attributes, 'keel.command.output_tail': 'streaming…' } });
  store.record({ ...tool, status: 'ok', endTime: clock++ });
  store.record({ ...root, status: outcome === 'succeeded' ? 'ok' : 'error', endTime: clock++, attributes: { ...root.attributes, 'keel.run.outcome': outcome, 'keel.cost.usd': 0.25 } });
}

describe('trace store', () => {
  it('keeps runs across a restart: listed newest first, filtered, each trace with its last snapshots', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir);
    recordRun(store, 'aa01', 'rename parser');
    recordRun(store, 'aa02', 'fix tests', 'failed');
    await store.flush();

    const reopened = new TraceStore(dir);
    const runs = await reopened.listRuns();
    assert.deepEqual(runs.map((r) => [r.traceId, r.goal, r.outcome, r.costUsd]), [['aa02', 'fix tests', 'failed', 0.25], ['aa01', 'rename parser', 'succeeded', 0.25]]);
    assert.deepEqual((await reopened.listRuns({ outcome: 'failed' })).map((r) => r.runId), ['run-aa02']);
    const trace = await reopened.trace('aa01');
    assert.deepEqual(trace.map((s) => [s.spanId, s.status]), [['aa01-root', 'ok'], ['aa01-tool', 'ok']]);
    assert.equal(trace[1]!.parentSpanId, 'aa01-root');
    const hits = await reopened.search('RENAME PARSER.TXT');
    assert.deepEqual(hits.map((h) => [h.traceId, h.spanId]), [['aa01', 'aa01-tool']]);
  });

  it('writes a span when it starts and when it ends, not at every update', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir);
    recordRun(store, 'bb01', 'g');
    await store.flush();
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(join(dir, 'bb01.jsonl'), 'utf8')).trim().split('\n');
    assert.equal(lines.length, 4);
  });

  it('lists a run whose host died as interrupted, and skips a line torn by the kill', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir);
    store.record(span('cc01', 'cc01-root', { operation: 'invoke_agent', attributes: { 'keel.run.id': 'run-cc01', 'keel.run.goal': 'long task' } }));
    await store.flush();
    await appendFile(join(dir, 'index.jsonl'), '{"traceId":"cc01","spanId":"cc01-root","na');
    await appendFile(join(dir, 'cc01.jsonl'), '{"traceId":"cc01","sp');
    const runs = await new TraceStore(dir).listRuns();
    assert.deepEqual(runs.map((r) => [r.goal, r.outcome]), [['long task', 'interrupted']]);
    assert.equal((await new TraceStore(dir).trace('cc01')).length, 1);
  });

  it('drops traces past the age limit and the oldest past the size limit', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir, { maxBytes: 3000, maxAgeMs: 60_000 });
    for (let i = 0; i < 8; i++) {
      recordRun(store, `dd0${i}`, `goal ${i}`);
      await store.flush();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const kept = (await readdir(dir)).filter((f) => f !== 'index.jsonl').sort();
    assert.ok(kept.length < 8 && kept.length > 0, `kept ${kept.join(', ')}`);
    assert.ok(kept.includes('dd07.jsonl'), 'the newest trace was dropped');
    assert.deepEqual((await store.listRuns()).map((r) => `${r.traceId}.jsonl`).sort(), kept);

    const old = new Date(Date.now() - 120_000);
    await utimes(join(dir, 'dd07.jsonl'), old, old);
    recordRun(store, 'ee01', 'newest');
    await store.flush();
    assert.ok(!(await readdir(dir)).includes('dd07.jsonl'), 'a trace past the age limit was kept');
  });

  it('refuses a trace id that is not one', async () => {
    await assert.rejects(new TraceStore(await tempDir()).trace('../index'), /is not a trace id/);
  });
});
