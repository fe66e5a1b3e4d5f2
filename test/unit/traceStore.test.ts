import assert from 'node:assert/strict';
import { appendFile, readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { ContentRecorder } from '../../host/observability/spanContent';
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

/** Content as the tracer hands it to the store with a span's end. */
function content(values: Record<string, unknown>) {
  const recorder = new ContentRecorder();
  for (const [key, value] of Object.entries(values)) recorder.set(key, value);
  return recorder.recorded()!;
}

/** A run with one chat span that used `model` and kept `said` as its answer. */
function recordChatRun(store: TraceStore, traceId: string, model: string, said: string): SpanData {
  const root = span(traceId, `${traceId}0`, { name: 'invoke_agent keel', operation: 'invoke_agent', attributes: { 'keel.run.id': `run-${traceId}`, 'keel.run.goal': `goal ${traceId}` } });
  const chat = span(traceId, `${traceId}1`, { parentSpanId: root.spanId, name: `chat ${model}`, operation: 'chat', attributes: { 'gen_ai.request.model': model } });
  store.record(root);
  store.record(chat);
  const ended = { ...chat, status: 'ok' as const, endTime: clock++, attributes: { ...chat.attributes, 'gen_ai.response.model': `${model}-2026` } };
  store.record(ended, content({ 'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: said }], finish_reason: 'stop' }] }));
  store.record({ ...root, status: 'ok', endTime: clock++ });
  return ended;
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

  it('keeps span content beside the trace, across a restart, and serves it by span', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir);
    const chat = recordChatRun(store, 'ff01', 'qwen', 'The parser is renamed.');
    await store.flush();
    assert.ok((await readdir(dir)).includes('ff01.content.jsonl'));
    const reopened = new TraceStore(dir);
    assert.deepEqual(await reopened.spanContent('ff01', chat.spanId), { 'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'The parser is renamed.' }], finish_reason: 'stop' }] });
    assert.equal(await reopened.spanContent('ff01', 'ff010'), null, 'a span that kept no content');
    assert.equal(await reopened.spanContent('ff99', 'ff990'), null, 'a trace that is not kept');
  });

  it('skips a content line torn by a kill; the lines before it stand', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir);
    const chat = recordChatRun(store, 'ff02', 'qwen', 'first');
    await store.flush();
    await appendFile(join(dir, 'ff02.content.jsonl'), '{"spanId":"ff02dead","content":{"gen_ai.output.messages":[{"ro');
    const reopened = new TraceStore(dir);
    assert.equal(await reopened.spanContent('ff02', 'ff02dead'), null);
    assert.ok(await reopened.spanContent('ff02', chat.spanId));
    assert.deepEqual((await reopened.search('first')).map((h) => h.spanId), [chat.spanId]);
  });

  it('appends after a torn line on a line of its own, so the next run and the next content survive the kill', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir);
    const chat = recordChatRun(store, 'ff06', 'qwen', 'before the kill');
    recordChatRun(store, 'ff07', 'qwen', 'a');
    await store.flush();
    await appendFile(join(dir, 'index.jsonl'), '{"traceId":"ff08","spanId":"ff080","na');
    await appendFile(join(dir, 'ff06.content.jsonl'), '{"spanId":"ff06dead","content":{"a');
    const restarted = new TraceStore(dir);
    recordChatRun(restarted, 'ff09', 'llama', 'after the kill');
    // A resumed run appends to its trace's files again.
    restarted.record({ ...chat, spanId: 'ff06beef' }, content({ 'gen_ai.tool.call.result': 'resumed' }));
    await restarted.flush();
    const reopened = new TraceStore(dir);
    assert.deepEqual((await reopened.listRuns()).map((r) => r.traceId), ['ff09', 'ff07', 'ff06']);
    assert.deepEqual(await reopened.spanContent('ff06', 'ff06beef'), { 'gen_ai.tool.call.result': 'resumed' });
    assert.ok(await reopened.spanContent('ff06', chat.spanId));
  });

  it('refuses ids that are not ids, so no request names a file of its choosing', async () => {
    const store = new TraceStore(await tempDir());
    await assert.rejects(store.spanContent('../index', 'aa'), /is not a trace id/);
    await assert.rejects(store.spanContent('aa', '../../etc/passwd'), /is not a span id/);
    await assert.rejects(store.spanContent('aa', 'a'.repeat(33)), /is not a span id/);
  });

  it('lists the models each run called, and filters runs by model', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir);
    recordChatRun(store, 'ff03', 'qwen', 'a');
    recordChatRun(store, 'ff04', 'gpt-4o-mini', 'b');
    await store.flush();
    const reopened = new TraceStore(dir);
    assert.deepEqual((await reopened.listRuns()).map((r) => [r.traceId, r.models]), [['ff04', ['gpt-4o-mini', 'gpt-4o-mini-2026']], ['ff03', ['qwen', 'qwen-2026']]]);
    assert.deepEqual((await reopened.listRuns({ model: 'qwen' })).map((r) => r.traceId), ['ff03']);
    assert.deepEqual((await reopened.listRuns({ model: 'gpt-4o-mini-2026' })).map((r) => r.traceId), ['ff04']);
    assert.deepEqual(await reopened.listRuns({ model: 'claude' }), []);
  });

  it('lists the models of a run still going, and of one whose host died, from what its chat spans recorded', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir);
    const root = span('fa01', 'fa010', { operation: 'invoke_agent', attributes: { 'keel.run.id': 'run-fa01' } });
    const chat = span('fa01', 'fa011', { parentSpanId: root.spanId, operation: 'chat', attributes: { 'gen_ai.request.model': 'qwen' } });
    store.record(root);
    store.record(chat);
    store.record({ ...chat, status: 'ok', endTime: clock++ });
    assert.deepEqual((await store.listRuns({ model: 'qwen' })).map((r) => [r.traceId, r.models]), [['fa01', ['qwen']]]);
    const afterTheCrash = await new TraceStore(dir).listRuns();
    assert.deepEqual(afterTheCrash.map((r) => [r.outcome, r.models]), [['interrupted', ['qwen']]]);
  });

  it('searches content as well as names and attributes, with a readable snippet', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir);
    const chat = recordChatRun(store, 'ff05', 'qwen', 'I renamed "parseConfig" to\nloadConfig in src/config.ts');
    const hits = await store.search('"PARSECONFIG" to\nload');
    assert.deepEqual(hits.map((h) => [h.spanId, h.name, h.runId]), [[chat.spanId, 'chat qwen', 'run-ff05']]);
    assert.match(hits[0]!.snippet, /I renamed "parseConfig" to loadConfig in src\/config\.ts/);
    assert.deepEqual(await store.search('spanId'), [], 'the line\'s own keys are not content');
  });

  it('counts content in the size limit and deletes it with its trace', async () => {
    const dir = await tempDir();
    const store = new TraceStore(dir, { maxBytes: 40_000, maxAgeMs: 60_000 });
    for (let i = 0; i < 6; i++) {
      recordChatRun(store, `ab0${i}`, 'qwen', `${i}`.repeat(15_000));
      await store.flush();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const files = await readdir(dir);
    const contents = files.filter((f) => f.endsWith('.content.jsonl')).sort();
    assert.ok(contents.length >= 1 && contents.length <= 2, `kept ${files.join(', ')}`);
    assert.ok(contents.includes('ab05.content.jsonl'), 'the newest content was dropped');
    assert.deepEqual(files.filter((f) => f !== 'index.jsonl' && !f.endsWith('.content.jsonl')).sort(), contents.map((f) => f.replace('.content', '')), 'a trace and its content go together');
    assert.deepEqual((await store.listRuns()).map((r) => r.traceId).sort(), contents.map((f) => f.slice(0, 4)));
  });
});
