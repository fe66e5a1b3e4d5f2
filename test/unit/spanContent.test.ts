import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApprovalBroker } from '../../host/governance/approvals';
import { recall, type RecallSources } from '../../host/memory';
import { Accounting, ModelRouter, parseRouterSettings, type ChatModel, type ChatResponse } from '../../host/models';
import { registerSecrets } from '../../host/observability/knownSecrets';
import { TraceStore } from '../../host/observability/traceStore';
import { startTrace, type SpanSink } from '../../host/observability/tracer';
import { MAX_CONTENT_STRING_CHARS, MAX_SPAN_CONTENT_CHARS } from '../../host/observability/spanContent';
import { runAgent } from '../../host/orchestration/agentLoop';
import type { Sandbox } from '../../host/sandbox';
import { builtinTools } from '../../host/tools';
import { sample } from '../../host/tools/mcp/sampling';
import { evalInSandbox } from '../../host/tools/sandboxedRun';
import type { ChatContentMessage, ChatContentPart, SpanContent, SpanData } from '../../protocol/trace';
import { LEAKY_ENV, RAW } from '../fixtures/leakySecrets';
import { consent, tempDir } from './helpers';

/** Every place a span goes, wired as the host wires them: the viewer's notifications (the span alone) and the store. */
async function sinks(): Promise<{ sink: SpanSink; notified: SpanData[]; store: TraceStore; dir: string }> {
  const dir = await tempDir('keel-content-');
  const store = new TraceStore(dir);
  const notified: SpanData[] = [];
  return { dir, store, notified, sink: (span, content) => {
    notified.push(span);
    store.record(span, content);
  } };
}

/** Everything a trace left on disk and in notifications must be free of every planted secret. */
async function assertNoSecret(dir: string, notified: readonly SpanData[]): Promise<void> {
  const files = await readdir(dir);
  assert.ok(files.some((f) => f.endsWith('.content.jsonl')), `no content file in ${files.join(', ')}`);
  const onDisk = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
  const sent = JSON.stringify(notified);
  for (const [name, value] of Object.entries(RAW)) {
    assert.ok(!onDisk.includes(value), `${name} is raw on disk`);
    assert.ok(!sent.includes(value), `${name} is raw in a span notification`);
  }
}

/** The last snapshot of the span named so, and its content as `trace/spanContent` serves it. */
async function contentOf(store: TraceStore, notified: readonly SpanData[], name: string): Promise<{ span: SpanData; content: SpanContent }> {
  const span = notified.filter((s) => s.name === name).at(-1);
  assert.ok(span, `no span ${name} among ${[...new Set(notified.map((s) => s.name))].join(', ')}`);
  assert.ok(span.contentBytes! > 0, `${name} says it has no content`);
  for (const key of ['gen_ai.input.messages', 'gen_ai.tool.call.arguments', 'gen_ai.tool.call.result', 'keel.sandbox.code', 'keel.approval.question']) {
    assert.ok(!(key in span.attributes), `${key} travels with ${name}'s updates`);
  }
  const content = await store.spanContent(span.traceId, span.spanId);
  assert.ok(content, `${name}'s content was not kept`);
  return { span, content };
}

function scriptedModel(turns: Partial<ChatResponse>[]): ChatModel {
  return {
    provider: 'ollama',
    model: 'scripted',
    baseUrl: 'memory:',
    async chat() {
      return { content: '', toolCalls: [], usage: { inputTokens: 10, outputTokens: 5 }, finishReason: 'stop', responseModel: 'scripted-2026', ...turns.shift() };
    },
  };
}

function router(model: ChatModel): ModelRouter {
  const settings = parseRouterSettings({
    models: [{ id: 'scripted', provider: 'ollama', baseUrl: 'http://127.0.0.1:1', model: 'scripted', contextWindow: 100_000, inputPricePerMTok: 0, outputPricePerMTok: 0, capabilities: { tools: true, vision: false, embeddings: false }, roles: ['act'], local: false }],
    retries: 0,
  });
  return new ModelRouter({ settings, connect: () => model, accounting: new Accounting({ budgets: {} }) });
}

const textOf = (parts: readonly ChatContentPart[]) => parts.map((p) => (p.type === 'text' ? p.content : '')).join('');

describe('span content', () => {
  it('chat and execute_tool spans keep the conversation, finish reasons, tool arguments and results, redacted', async () => {
    const { sink, notified, store, dir } = await sinks();
    const model = scriptedModel([
      { content: `Reading it; the key is OPENAI_API_KEY=${RAW.openaiKey}`, toolCalls: [{ id: 'c1', name: 'read_file', arguments: { path: '.env' } }], finishReason: 'tool_calls' },
      { content: `Done. The session token was ${RAW.jwt}` },
    ]);
    const files: Record<string, string> = { '.env': LEAKY_ENV };
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent');
    const result = await runAgent({
      runId: 'run-1',
      goal: `deploy with DB_PASSWORD=${RAW.dbPassword}`,
      model: router(model),
      privacy: { localOnly: false, localOnlyGlobs: [] },
      limits: { maxSteps: 4, approvalTimeoutMs: 5000 },
      tools: builtinTools(),
      policy: { allowHosts: [] },
      workspace: { root: '/nonexistent', readFile: async (path) => files[path]!, createFile: async () => undefined as never },
      consent: consent({}),
      span: root,
      signal: new AbortController().signal,
    });
    root.end('ok');
    assert.equal(result.outcome, 'succeeded', result.message);

    const chats = notified.filter((s) => s.operation === 'chat' && s.endTime !== undefined);
    assert.equal(chats.length, 2);
    const first = (await store.spanContent(chats[0]!.traceId, chats[0]!.spanId))!;
    const instructions = first['gen_ai.system_instructions'] as ChatContentPart[];
    assert.match(textOf(instructions), /You are Keel/);
    const input = first['gen_ai.input.messages'] as ChatContentMessage[];
    assert.equal(input.at(-1)!.role, 'user');
    assert.match(textOf(input.at(-1)!.parts), /deploy with DB_PASSWORD=\[REDACTED secret assignment\]/);
    const [answer] = first['gen_ai.output.messages'] as ChatContentMessage[];
    assert.equal(answer!.finish_reason, 'tool_calls');
    assert.deepEqual(answer!.parts.find((p) => p.type === 'tool_call'), { type: 'tool_call', id: 'c1', name: 'read_file', arguments: { path: '.env' } });
    assert.match(textOf(answer!.parts), /OPENAI_API_KEY=\[REDACTED/);
    assert.equal(chats[0]!.attributes['gen_ai.response.finish_reasons'], 'tool_calls');

    // The second call's input is the whole conversation: the answer with its tool call, then the tool's result.
    const second = (await store.spanContent(chats[1]!.traceId, chats[1]!.spanId))!;
    const conversation = second['gen_ai.input.messages'] as ChatContentMessage[];
    assert.deepEqual(conversation.map((m) => m.role), ['user', 'assistant', 'tool']);
    const response = conversation[2]!.parts[0]!;
    assert.equal(response.type === 'tool_call_response' && response.id, 'c1');
    assert.equal((second['gen_ai.output.messages'] as ChatContentMessage[])[0]!.finish_reason, 'stop');

    const { content: tool } = await contentOf(store, notified, 'execute_tool read_file');
    assert.deepEqual(tool['gen_ai.tool.call.arguments'], { path: '.env' });
    assert.match(String(tool['gen_ai.tool.call.result']), /AWS_SECRET_ACCESS_KEY=\[REDACTED secret assignment\]/);
    await store.flush();
    await assertNoSecret(dir, notified);
  });

  it('approval spans keep what was asked and what was answered, by whom and why', async () => {
    const { sink, notified, store, dir } = await sinks();
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent');
    const broker = new ApprovalBroker(consent({ reviewEdit: async () => ({ decision: 'denied', reason: `not with ${RAW.openaiKey} in it` }) }), 5000);
    const edit = { path: 'config.ts', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } }, oldText: 'TODO', newText: `const key = "${RAW.stripeKey}";` };
    await broker.reviewEdit(edit, { runId: 'run-1', parent: root, signal: new AbortController().signal });
    const unanswered = (_review: unknown, signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    const slow = new ApprovalBroker(consent({ reviewToolCall: unanswered }), 20);
    await slow.reviewToolCall({ tool: 'run_command', source: 'builtin', risk: 'execute', title: 'Run a command?', detail: `psql postgres://app:${RAW.urlPassword}@db/app`, canAlwaysAllow: true }, { runId: 'run-1', parent: root, signal: new AbortController().signal });
    root.end('ok');

    const { content: asked } = await contentOf(store, notified, 'approval propose_edit');
    assert.equal((asked['keel.approval.question'] as { path: string }).path, 'config.ts');
    assert.match(JSON.stringify(asked['keel.approval.question']), /REDACTED/);
    assert.deepEqual(Object.keys(asked['keel.approval.answer'] as object), ['decision', 'decided_by', 'reason']);
    assert.match(JSON.stringify(asked['keel.approval.answer']), /"decision":"denied","decided_by":"user","reason":"not with \[REDACTED/);
    const { content: timedOut } = await contentOf(store, notified, 'approval run_command');
    assert.equal(JSON.stringify(timedOut['keel.approval.question']), '{"title":"Run a command?","detail":"psql [REDACTED database connection string]"}');
    assert.deepEqual({ ...(timedOut['keel.approval.answer'] as object), reason: undefined }, { decision: 'denied', decided_by: 'timeout', reason: undefined });
    await store.flush();
    await assertNoSecret(dir, notified);
  });

  it('retrieval spans keep their hits with path, lines, score and snippet', async () => {
    const { sink, notified, store, dir } = await sinks();
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent');
    const sources: RecallSources = {
      index: async () => ({
        stats: () => ({ chunks: 1 }),
        search: async () => [{ path: 'deploy/.env', startLine: 1, endLine: 14, language: 'dotenv', text: LEAKY_ENV, score: 0.87654 }],
      }) as never,
      episodes: async () => ({ search: async () => [{ runId: 'r1', goal: 'deploy the service', outcome: 'succeeded', summary: `Used ${RAW.jwt} to log in.`, filesTouched: [], toolsUsed: [], tokens: { input: 1, output: 1 }, finishedAt: '2026-12-01T00:00:00Z', score: 3 }] }) as never,
    };
    await recall({ goal: 'deploy the service with the database settings', span: root }, sources);
    root.end('ok');
    const { span, content } = await contentOf(store, notified, 'retrieval workspace');
    assert.equal(span.attributes['keel.retrieval.hits'], 1, 'the count stays an attribute');
    const [hit] = content['keel.retrieval.hits'] as Record<string, unknown>[];
    assert.deepEqual({ ...hit, snippet: undefined }, { path: 'deploy/.env', startLine: 1, endLine: 14, score: 0.877, snippet: undefined });
    assert.match(String(hit!.snippet), /DB_PASSWORD=\[REDACTED secret assignment\]/);
    const { content: episodes } = await contentOf(store, notified, 'retrieval episodes');
    assert.match(JSON.stringify(episodes['keel.retrieval.hits']), /"runId":"r1".*Used \[REDACTED jwt\] to log in/);
    await store.flush();
    await assertNoSecret(dir, notified);
  });

  it('sandbox.eval spans keep the code and its console output', async () => {
    const { sink, notified, store, dir } = await sinks();
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent');
    const sandbox = {
      execute: async () => ({ outcome: 'ok', value: 1, logs: [{ level: 'log', text: LEAKY_ENV }], durationMs: 1, memoryUsedBytes: 1024, limits: { memoryBytes: 1, stackBytes: 1, timeoutMs: 1 } }),
    } as unknown as Sandbox;
    await evalInSandbox(sandbox, { code: `const token = "${RAW.openaiKey}"; console.log(await readFile('.env'));` }, root, new AbortController().signal);
    root.end('ok');
    const { span, content } = await contentOf(store, notified, 'sandbox.eval');
    assert.equal(span.attributes['keel.sandbox.console_lines'], 1);
    assert.match(String(content['keel.sandbox.code']), /const token = "\[REDACTED openai key\]"; console\.log/);
    assert.match(String(content['keel.sandbox.console']), /^\[log\] # Local settings/);
    await store.flush();
    await assertNoSecret(dir, notified);
  });

  it('an MCP sampling span keeps the server\'s messages and the answer', async () => {
    const { sink, notified, store, dir } = await sinks();
    const model = {
      chat: async () => ({ content: `Here: AWS_SECRET_ACCESS_KEY=${RAW.awsSecret}`, toolCalls: [], usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop', responseModel: 'm', modelId: 'm', costUsd: 0, attempts: 1, reason: '' }),
      endRun: () => ({ calls: 1, inputTokens: 1, outputTokens: 1, costUsd: 0 }),
    };
    const approvals = new ApprovalBroker(consent({ reviewToolCall: async () => ({ decision: 'approved' }) }), 5000);
    await sample('docs', { systemPrompt: `Use DB_PASSWORD=${RAW.dbPassword}`, messages: [{ role: 'user', content: { type: 'text', text: `Summarise ${RAW.jwt}` } }], maxTokens: 100 }, { model, approvals, spans: sink });
    const { content } = await contentOf(store, notified, 'sampling docs');
    assert.match(textOf(content['gen_ai.system_instructions'] as ChatContentPart[]), /DB_PASSWORD=\[REDACTED/);
    assert.match(JSON.stringify(content['gen_ai.input.messages']), /"role":"user".*Summarise \[REDACTED jwt\]/);
    const [answer] = content['gen_ai.output.messages'] as ChatContentMessage[];
    assert.equal(answer!.finish_reason, 'stop');
    assert.equal(textOf(answer!.parts), 'Here: AWS_SECRET_ACCESS_KEY=[REDACTED secret assignment]');
    await store.flush();
    await assertNoSecret(dir, notified);
  });

  it('cuts huge values with a marker, bounds the whole span, and never sends content with an update', async () => {
    const { sink, notified, store } = await sinks();
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent');
    const span = root.child('execute_tool run_command', 'execute_tool');
    const huge = `${'a'.repeat(MAX_CONTENT_STRING_CHARS - 10)}${LEAKY_ENV}${'b'.repeat(3_000_000)}`;
    span.setContent({ 'gen_ai.tool.call.arguments': { command: 'cat big.log' }, 'gen_ai.tool.call.result': huge });
    span.setContent({ 'keel.extra': Array.from({ length: 10 }, () => 'c'.repeat(200_000)) });
    span.update();
    assert.equal(notified.at(-1)!.contentBytes, undefined, 'a running update says nothing of content');
    span.end('ok');
    root.end('ok');
    const { content } = await contentOf(store, notified, 'execute_tool run_command');
    const result = String(content['gen_ai.tool.call.result']);
    assert.ok(result.length < MAX_CONTENT_STRING_CHARS + 100, `kept ${result.length} characters`);
    assert.match(result, new RegExp(`\\[${huge.length - MAX_CONTENT_STRING_CHARS} more characters cut\\]$`));
    assert.ok(!result.includes(RAW.awsSecret.slice(0, 10)), 'a secret straddling the cut left a fragment');
    const extra = content['keel.extra'] as string[];
    assert.equal(extra.length, 1 + Math.ceil((MAX_SPAN_CONTENT_CHARS - MAX_CONTENT_STRING_CHARS) / 200_000), 'the strings that fit the span, then the marker');
    assert.match(extra.at(-1)!, /^\[\d+ more items cut\]$/);
    const ended = notified.at(-2)!;
    assert.ok(ended.contentBytes! <= MAX_SPAN_CONTENT_CHARS + 64 * 1024, `${ended.contentBytes} bytes kept for one span`);
    assert.ok(JSON.stringify(notified).length < 10_000, 'no content went out with the span snapshots');
  });

  it('keeps nesting past 64 levels and cycles out, and content set after the end is dropped', async () => {
    const { sink, notified, store } = await sinks();
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent');
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    root.setContent({ 'keel.cyclic': cyclic, 'keel.nothing': undefined, 'keel.big': 10n, 'keel.empties': Array.from({ length: 2_000_000 }, () => []) });
    root.end('ok');
    root.setContent({ 'keel.late': 'x' });
    const { content } = await contentOf(store, notified, 'invoke_agent keel');
    assert.deepEqual(Object.keys(content), ['keel.cyclic', 'keel.big', 'keel.empties']);
    assert.match(String((content['keel.empties'] as unknown[]).at(-1)), /^\[\d+ more items cut\]$/);
    assert.ok(JSON.stringify(content).length < MAX_SPAN_CONTENT_CHARS * 1.1, 'empty lists are not free');
    assert.match(JSON.stringify(content['keel.cyclic']), /"\[nested too deep\]"/);
    assert.equal(content['keel.big'], '10');
  });

  it('redacts a long string again once a new secret is known, though it was redacted before', async () => {
    const { sink, notified, store } = await sinks();
    const key = `late-key-with-no-known-shape-${Date.now()}`;
    const text = `${sourceLine().repeat(40)}the key is ${key}\n`;
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent');
    const before = root.child('chat m', 'chat');
    before.setContent({ 'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: text }] }] });
    before.end('ok');
    registerSecrets([key]);
    const after = root.child('chat n', 'chat');
    after.setContent({ 'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: text }] }] });
    after.end('ok');
    root.end('ok');
    assert.match(JSON.stringify((await contentOf(store, notified, 'chat m')).content), new RegExp(key), 'an unknown value is not a secret yet');
    assert.match(JSON.stringify((await contentOf(store, notified, 'chat n')).content), /the key is \[REDACTED known secret\]/);
  });
});

function sourceLine(): string {
  return 'export function add(a: number, b: number): number { return a + b; }\n';
}
