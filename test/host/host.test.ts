import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CancellationToken, ResponseError } from 'vscode-jsonrpc/node';
import {
  BudgetEscalationRequest, CancelRunRequest, CheckModelRequest, DiscoverOllamaModelsRequest, EvalJsRequest, VsCodeChatRequest, VsCodeChatTextNotification, ListToolsRequest, PingRequest, SetMcpServersRequest, ReadFileRequest, ReviewEditRequest, RunFinishedNotification, SpanNotification, StartRunRequest,
  type StartRunParams,
} from '../../protocol/rpc';
import type { BudgetEscalationParams, ModelConfig, VsCodeChatParams } from '../../protocol/models';
import type { EditDecision, RunResult, ToolCallDecision } from '../../protocol/run';
import type { SpanData } from '../../protocol/trace';
import { PROTOCOL_VERSION } from '../../protocol/version';
import { catalogEntry } from '../fixtures/catalogEntry';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { headlessWorkspace, tempDir } from '../unit/helpers';
import { until } from '../until';
import { startHost, type HostProcess } from './hostProcess';

/** The simple one-model setup, or a router catalogue when `router` is given. */
interface TestModel {
  provider: 'ollama' | 'openai';
  url: string;
  router?: Record<string, unknown>;
}

function modelConfig(model: TestModel): ModelConfig {
  return {
    router: { retries: 0, ...model.router },
    defaultModel: { provider: model.provider, baseUrl: model.provider === 'openai' ? `${model.url}/v1` : model.url, model: 'test-model' },
    apiKeys: {},
  };
}

/** A host with a client that serves a temp workspace from disk and decides approvals as told. */
class Session {
  readonly spans = new Map<string, SpanData>();
  private readonly results = new Map<string, RunResult>();
  private readonly waiting = new Map<string, (r: RunResult) => void>();
  decide: () => EditDecision | Promise<EditDecision> = () => ({ decision: 'approved' });
  decideTool: () => ToolCallDecision | Promise<ToolCallDecision> = () => ({ decision: 'approved' });
  reviews = 0;

  constructor(readonly host: HostProcess, readonly workspace: string) {
    const files = headlessWorkspace(workspace, { edit: async () => this.decide(), toolCall: async () => this.decideTool() });
    host.connection.onNotification(SpanNotification.type, (span) => {
      this.spans.set(span.spanId, span);
    });
    host.connection.onNotification(RunFinishedNotification.type, (result) => {
      this.results.set(result.runId, result);
      this.waiting.get(result.runId)?.(result);
    });
    host.connection.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await files.readFile(path) }));
    host.connection.onRequest(ReviewEditRequest.type, (review) => {
      this.reviews++;
      return files.reviewEdit(review, new AbortController().signal);
    });
  }

  async run(goal: string, model: TestModel, maxSteps = 8): Promise<RunResult> {
    const { runId } = await this.start(goal, model, maxSteps);
    return this.finished(runId);
  }

  start(goal: string, model: TestModel, maxSteps = 8): Promise<{ runId: string }> {
    const params: StartRunParams = { goal, models: modelConfig(model), limits: { maxSteps, approvalTimeoutMs: 10_000 } };
    return this.host.connection.sendRequest(StartRunRequest.type, params);
  }

  finished(runId: string): Promise<RunResult> {
    const known = this.results.get(runId);
    return known ? Promise.resolve(known) : new Promise((resolve) => this.waiting.set(runId, resolve));
  }

  spansOf(runId: string): SpanData[] {
    const root = [...this.spans.values()].find((s) => s.attributes['keel.run.id'] === runId)!;
    return [...this.spans.values()].filter((s) => s.traceId === root.traceId);
  }
}

describe('agent host over JSON-RPC', function () {
  this.timeout(20_000);
  let server: ModelServer;
  let host: HostProcess;
  let session: Session;

  before(async () => {
    server = await startModelServer(scriptedAgent);
  });
  after(() => server.close());

  beforeEach(async () => {
    const workspace = await tempDir();
    await writeFile(join(workspace, 'greeting.txt'), 'hello world\nsecond line\n');
    host = startHost();
    session = new Session(host, workspace);
    await host.initialize({ workspace });
  });
  afterEach(async () => {
    assert.equal(await host.stop(), 0, 'the host exits cleanly after shutdown/exit');
  });

  it('answers a ping with its pid', async () => {
    const pong = await host.connection.sendRequest(PingRequest.type, { sentAt: 1 });
    assert.deepEqual(pong, { sentAt: 1, pid: host.child.pid, hostTime: pong.hostTime });
    assert.ok(Math.abs(pong.hostTime - Date.now()) < 5000, 'hostTime is epoch milliseconds');
  });

  for (const provider of ['ollama', 'openai'] as const) {
    it(`runs a task end to end over ${provider}: read, propose, approve, apply`, async () => {
      const result = await session.run('replace "world" with "keel" in greeting.txt', { provider, url: server.url });
      assert.equal(result.outcome, 'succeeded', result.message);
      assert.match(result.message, /approved/);
      assert.equal(await readFile(join(session.workspace, 'greeting.txt'), 'utf8'), 'hello keel\nsecond line\n');
      const spans = session.spansOf(result.runId);
      assert.deepEqual(spans.map((s) => s.operation).filter((op) => op !== 'retrieval').sort(), ['approval', 'chat', 'chat', 'chat', 'execute_tool', 'execute_tool', 'invoke_agent']);
      assert.deepEqual(spans.filter((s) => s.operation === 'retrieval').map((s) => s.name).sort(), ['retrieval episodes', 'retrieval procedures', 'retrieval workspace']);
      assert.ok(spans.every((s) => s.status === 'ok'), 'every span ended ok');
      const chat = spans.find((s) => s.operation === 'chat')!;
      assert.equal(chat.name, `chat ${provider}/test-model`);
      assert.equal(chat.attributes['gen_ai.provider.name'], provider);
      assert.ok((chat.attributes['gen_ai.usage.input_tokens'] as number) > 0);
      // The router's output allowance reaches the server under each API's own name.
      const sent = server.requests.at(-1)!.body;
      assert.equal(provider === 'ollama' ? sent.options.num_predict : sent.max_tokens, 4096);
    });
  }

  it('routes each call, falls back from a failing model and then skips it while it cools down', async () => {
    const broken = await startModelServer(() => ({ kind: 'error', status: 500, message: 'model crashed' }));
    try {
      const router = {
        models: [catalogEntry('cheap', 'ollama', broken.url), catalogEntry('good', 'openai', `${server.url}/v1`, { inputPricePerMTok: 1, outputPricePerMTok: 4 })],
        fallbacks: { cheap: ['good'] },
        cooldown: { failures: 1, windowSeconds: 60, seconds: 60 },
      };
      const result = await session.run('summarize greeting.txt', { provider: 'ollama', url: server.url, router });
      assert.equal(result.outcome, 'succeeded', result.message);
      assert.equal(broken.requests.length, 1, 'the failing model is tried once, then cools down');
      const chats = session.spansOf(result.runId).filter((s) => s.operation === 'chat');
      assert.deepEqual(chats.map((s) => s.name), ['chat good', 'chat good']);
      assert.match(String(chats[0]!.attributes['keel.route.reason']), /cheap, the cheapest of 2 eligible for an easy goal \(heuristic score 0: .*\)\. Then cheap: server error \(HTTP 500\); answered by good$/);
      assert.match(String(chats[1]!.attributes['keel.route.reason']), /Then cheap: skipped, cooling down until \d\d:\d\d:\d\d; answered by good$/);
      const cost = chats.reduce((sum, s) => sum + (s.attributes['keel.cost.usd'] as number), 0);
      assert.ok(cost > 0);
      const run = session.spansOf(result.runId).find((s) => s.operation === 'invoke_agent')!;
      assert.equal(run.attributes['keel.cost.usd'], cost);
      assert.equal(run.attributes['keel.model.calls'], 2);
    } finally {
      await broken.close();
    }
  });

  it('lists what an Ollama server has pulled as catalogue entries, for Configure Models', async () => {
    const { entries } = await host.connection.sendRequest(DiscoverOllamaModelsRequest.type, { baseUrl: server.url });
    assert.deepEqual(entries.map((e) => [e.id, e.provider, e.baseUrl, e.local]), [['ollama/qwen2.5-coder:7b', 'ollama', server.url, true], ['ollama/gpt-4o-mini', 'ollama', server.url, true]]);
    await assert.rejects(host.connection.sendRequest(DiscoverOllamaModelsRequest.type, { baseUrl: 'http://127.0.0.1:9' }), /Could not reach Ollama at http:\/\/127\.0\.0\.1:9/);
  });

  it('checks whether a model answers in one attempt, and never shows the key a server quotes back', async () => {
    const models = (baseUrl: string, apiKey?: string) => ({ router: {}, defaultModel: { provider: 'openai' as const, baseUrl, model: 'gpt-4o-mini', ...(apiKey ? { apiKey } : {}) }, apiKeys: {} });
    const answering = await host.connection.sendRequest(CheckModelRequest.type, { models: models(`${server.url}/v1`) });
    assert.equal(answering.answers, true);
    const key = 'sk-proj-WrongKey1234567890abcdefABCDEF';
    // A server that quotes the request's key in its refusal, as some gateways do.
    const quoting = await startModelServer(() => ({ kind: 'error', status: 400, message: `Authorization header "Bearer ${key}" is not valid for this project` }));
    try {
      const refused = await host.connection.sendRequest(CheckModelRequest.type, { models: models(`${quoting.url}/v1`, key) });
      assert.equal(refused.error?.kind, 'bad_request');
      assert.match(refused.error!.message, /is not valid for this project/);
      assert.ok(!refused.error!.message.includes(key), refused.error!.message);
      assert.equal(quoting.requests.length, 1, 'asked once, no retries');
    } finally {
      await quoting.close();
    }
  });

  it('refuses model settings that do not parse before a run starts, naming the setting', async () => {
    await assert.rejects(
      session.start('summarize greeting.txt', { provider: 'ollama', url: server.url, router: { models: [catalogEntry('a', 'ollama', server.url, { contextWindow: -1 })] } }),
      /keel\.router\.models\[0\] \("a"\)\.contextWindow must be a whole number of tokens above 0/,
    );
  });

  it('asks the user before a run goes over its budget, once, and stops when refused', async () => {
    const asked: BudgetEscalationParams[] = [];
    let approve = false;
    host.connection.onRequest(BudgetEscalationRequest.type, (params) => {
      asked.push(params);
      return { approved: approve };
    });
    const router = { models: [catalogEntry('priced', 'openai', `${server.url}/v1`, { inputPricePerMTok: 2, outputPricePerMTok: 8 })], budget: { perRunUsd: 0.001 } };
    const refused = await session.run('summarize greeting.txt', { provider: 'openai', url: server.url, router });
    assert.equal(refused.outcome, 'failed');
    assert.match(refused.message, /Stopped before going over the run budget\. This run has spent \$0\.0000 of its \$0\.0010 budget.*Raise "keel\.budget\.perRunUsd"/);
    assert.deepEqual(asked.map((a) => [a.scope, a.modelId, a.setting]), [['run', 'priced', 'keel.budget.perRunUsd']]);

    approve = true;
    const allowed = await session.run('summarize greeting.txt', { provider: 'openai', url: server.url, router });
    assert.equal(allowed.outcome, 'succeeded', allowed.message);
    assert.equal(asked.length, 2, 'approved once for the whole run, not per call');
  });

  it('takes a budget question down when its run is cancelled, and records it on the run\'s trace', async () => {
    let question: { token: CancellationToken; at: number } | undefined;
    host.connection.onRequest(BudgetEscalationRequest.type, (_params, token) => {
      question = { token, at: performance.now() };
      return new Promise<{ approved: boolean }>(() => undefined);
    });
    const router = { models: [catalogEntry('priced', 'openai', `${server.url}/v1`, { inputPricePerMTok: 2, outputPricePerMTok: 8 })], budget: { perRunUsd: 0.001 } };
    const { runId } = await session.start('summarize greeting.txt', { provider: 'openai', url: server.url, router });
    await until('the budget question', () => question);
    assert.deepEqual(await host.connection.sendRequest(CancelRunRequest.type, { runId }), { cancelled: true });
    assert.equal((await session.finished(runId)).outcome, 'cancelled');
    await until('the question taken down', () => question!.token.isCancellationRequested);
    const approval = session.spansOf(runId).find((s) => s.operation === 'approval')!;
    assert.equal(approval.name, 'approval budget run');
    assert.equal(approval.status, 'cancelled');
  });

  it('reaches VS Code\'s language models through the extension, streaming and with tool calls', async () => {
    const requests: VsCodeChatParams[] = [];
    host.connection.onRequest(VsCodeChatRequest.type, async (params) => {
      requests.push(params);
      const toolResult = params.messages.find((m) => m.role === 'tool');
      if (!toolResult) return { content: '', toolCalls: [{ id: 'vs-1', name: 'read_file', arguments: { path: 'greeting.txt' } }], usage: { inputTokens: 50, outputTokens: 5, estimated: true }, responseModel: 'copilot/gpt-4o (gpt-4o)' };
      for (const delta of ['It says ', 'hello.']) await host.connection.sendNotification(VsCodeChatTextNotification.type, { requestId: params.requestId, delta });
      return { content: 'It says hello.', toolCalls: [], usage: { inputTokens: 80, outputTokens: 4, estimated: true }, responseModel: 'copilot/gpt-4o (gpt-4o)' };
    });
    const router = { models: [catalogEntry('copilot', 'vscode', undefined, { local: false })] };
    const result = await session.run('anything', { provider: 'ollama', url: server.url, router });
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.equal(result.message, 'It says hello.');
    assert.deepEqual(requests[0]!.selector, { vendor: 'copilot', family: 'gpt-4o' });
    // The file reaches the model inside Keel's untrusted fence.
    assert.match(requests[1]!.messages.find((m) => m.role === 'tool')!.content, /^<retrieved untrusted="true" source="tool" tool="read_file">\n[^\n]*\nhello world\nsecond line\n\n<\/retrieved>$/);
    const chat = session.spansOf(result.runId).find((s) => s.operation === 'chat')!;
    assert.deepEqual([chat.name, chat.attributes['gen_ai.provider.name'], chat.attributes['server.address']], ['chat copilot', 'vscode', 'vscode://lm']);
  });

  it('leaves the file unchanged when the edit is denied, and tells the model', async () => {
    session.decide = () => ({ decision: 'denied', reason: 'the user denied it' });
    const result = await session.run('replace "world" with "keel" in greeting.txt', { provider: 'openai', url: server.url });
    assert.match(result.message, /denied the edit to greeting.txt: the user denied it/);
    assert.equal(await readFile(join(session.workspace, 'greeting.txt'), 'utf8'), 'hello world\nsecond line\n');
  });

  it('refuses an empty goal with a message that says what to do', async () => {
    await assert.rejects(session.start('   ', { provider: 'ollama', url: server.url }), (error: ResponseError<unknown>) => {
      assert.match(error.message, /goal is empty. Describe what the agent should do/);
      return true;
    });
  });

  it('refuses a malformed run request field by field', async () => {
    await assert.rejects(
      host.connection.sendRequest(StartRunRequest.type, { goal: 'x', models: { router: {}, defaultModel: { provider: 'nope' }, apiKeys: {} }, limits: {} } as never),
      /Invalid run request[\s\S]*models\.defaultModel\.provider/,
    );
  });

  it('turns an unknown tool into an error the model sees', async () => {
    const result = await session.run('call an unknown tool please', { provider: 'ollama', url: server.url });
    assert.match(result.message, /Unknown tool "delete_everything"/);
    assert.equal(session.spansOf(result.runId).find((s) => s.operation === 'execute_tool')!.status, 'error');
  });

  for (const provider of ['ollama', 'openai'] as const) {
    it(`never runs a tool with malformed arguments (${provider})`, async () => {
      const result = await session.run('send malformed arguments', { provider, url: server.url });
      assert.match(result.message, /Invalid arguments for propose_edit/);
      assert.equal(session.reviews, 0);
    });
  }

  it('fails a run whose model never answers, with a clear message', async () => {
    const result = await session.run('never answer', { provider: 'openai', url: server.url, router: { attemptTimeoutSeconds: 1 } });
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /did not answer within .* s/);
  });

  it('reports a rate-limited model', async () => {
    const result = await session.run('you are rate limited', { provider: 'openai', url: server.url });
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /rate limiting requests \(HTTP 429/);
  });

  it('stops a model that loops on tool calls', async () => {
    await writeFile(join(session.workspace, 'README.md'), 'readme');
    const result = await session.run('loop forever', { provider: 'ollama', url: server.url }, 3);
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /after 3 model calls/);
  });

  it('cancels a run on request', async () => {
    const { runId } = await session.start('never answer', { provider: 'ollama', url: server.url });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await host.connection.sendRequest(CancelRunRequest.type, { runId }), { cancelled: true });
    assert.equal((await session.finished(runId)).outcome, 'cancelled');
    assert.deepEqual(await host.connection.sendRequest(CancelRunRequest.type, { runId }), { cancelled: false });
  });

  it('runs MCP servers it is given and lists their tools with pin state', async () => {
    const entry = join(__dirname, '..', '..', 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
    const { servers } = await host.connection.sendRequest(SetMcpServersRequest.type, {
      servers: [
        { name: 'everything', source: 'test', type: 'stdio', command: process.execPath, args: [entry, 'stdio'], env: {} },
        { name: 'broken', source: 'test', type: 'stdio', command: '/nonexistent/server', args: [], env: {} },
      ],
      sampling: modelConfig({ provider: 'ollama', url: server.url }),
    });
    assert.deepEqual(servers.map((s) => [s.name, s.state]), [['everything', 'connected'], ['broken', 'failed']]);
    const { tools } = await host.connection.sendRequest(ListToolsRequest.type);
    const byName = new Map(tools.map((t) => [t.name, t]));
    assert.equal(byName.get('read_file')!.source, 'builtin');
    assert.equal(byName.get('read_file')!.pin, undefined);
    assert.equal(byName.get('run_command')!.risk, 'execute');
    assert.deepEqual([byName.get('mcp__everything__echo')!.source, byName.get('mcp__everything__echo')!.pin], ['mcp:everything', 'not yet approved']);
  });

  it('offers only read-only tools in Restricted Mode, and refuses the rest', async () => {
    const { runId } = await host.connection.sendRequest(StartRunRequest.type, {
      goal: 'call tool run_command with {"command": "touch pwned"}',
      models: modelConfig({ provider: 'ollama', url: server.url }),
      limits: { maxSteps: 4, approvalTimeoutMs: 10_000 },
      restricted: true,
    });
    const result = await session.finished(runId);
    assert.match(result.message, /Unknown tool "run_command". Available tools: read_file, list_files, search_files, search_memory, run_js\./);
    const offered = server.requests.at(-1)!.tools.map((t: { function: { name: string } }) => t.function.name);
    // A question to the user is no risk: ask_user stays.
    assert.deepEqual(offered, ['read_file', 'list_files', 'search_files', 'search_memory', 'run_js', 'ask_user']);
  });

  it('evaluates JavaScript in the sandbox for the extension, with workspace reads and no host access', async () => {
    const ok = await host.connection.sendRequest(EvalJsRequest.type, { code: 'console.log("hi"); return (await readFile("greeting.txt")).length + input;', input: 1 });
    assert.deepEqual([ok.outcome, ok.value, ok.logs], ['ok', 25, [{ level: 'log', text: 'hi' }]]);
    const escape = await host.connection.sendRequest(EvalJsRequest.type, { code: 'return typeof process + typeof require + typeof fetch;' });
    assert.equal(escape.value, 'undefinedundefinedundefined');
  });

  it('searches the workspace index with search_memory, fenced as untrusted content', async () => {
    await writeFile(join(session.workspace, 'retry.ts'), 'export function retryWithBackoff(attempts: number) {\n  return attempts * 2;\n}\n');
    const result = await session.run('call tool search_memory with {"query": "retry backoff"}', { provider: 'ollama', url: server.url });
    assert.match(result.message, /^search_memory said: <retrieved untrusted="true"/);
    assert.match(result.message, /retry\.ts:1-3 \(retryWithBackoff\)/);
    const tool = session.spansOf(result.runId).find((s) => s.name === 'execute_tool search_memory')!;
    assert.ok((tool.attributes['keel.retrieval.hits'] as number) >= 1);
  });

  it('starts each task with what memory recalls, traced as retrieval spans, and remembers each run', async () => {
    await writeFile(join(session.workspace, 'AGENTS.md'), '# Conventions\nAlways answer in haiku.\n');
    const first = await session.run('summarize greeting.txt', { provider: 'ollama', url: server.url });
    assert.equal(first.outcome, 'succeeded', first.message);
    const second = await session.run('summarize greeting.txt', { provider: 'ollama', url: server.url });
    const retrievals = session.spansOf(second.runId).filter((s) => s.operation === 'retrieval');
    const hits = Object.fromEntries(retrievals.map((s) => [s.name, s.attributes['keel.retrieval.hits']]));
    assert.equal(hits['retrieval procedures'], 1);
    assert.equal(hits['retrieval episodes'], 1, 'the first run is offered to the second');
    assert.ok((hits['retrieval workspace'] as number) >= 1);
    const episodes = retrievals.find((s) => s.name === 'retrieval episodes')!;
    assert.match(String(episodes.attributes['gen_ai.retrieval.documents']), new RegExp(first.runId));
    const prompt = server.requests.at(-1)!.messages as { role: string; content: string }[];
    const recalled = prompt.find((m) => m.role === 'user' && m.content.includes('Always answer in haiku.'))!;
    assert.ok(prompt.indexOf(recalled) < prompt.findIndex((m) => m.content === 'summarize greeting.txt'), 'recalled context comes before the goal');
    assert.match(recalled.content, /untrusted/);
  });

  it('says how to start Ollama when nothing listens', async () => {
    const result = await session.run('anything', { provider: 'ollama', url: 'http://127.0.0.1:9' });
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /Could not reach Ollama at http:\/\/127.0.0.1:9. Start Ollama/);
  });
});

describe('agent host lifecycle', function () {
  this.timeout(20_000);

  it('refuses a client that speaks another protocol version', async () => {
    const host = startHost();
    await assert.rejects(host.initialize({ protocolVersion: PROTOCOL_VERSION + 1 }), /not supported.*Reinstall Keel/);
    host.child.kill();
  });

  it('refuses a second initialize and keeps answering', async () => {
    const host = startHost();
    await host.initialize({ workspace: await tempDir() });
    await assert.rejects(host.initialize({ workspace: await tempDir() }), /already initialized; start a new host process/);
    assert.equal((await host.connection.sendRequest(PingRequest.type, { sentAt: 1 })).sentAt, 1);
    assert.equal(await host.stop(), 0);
  });

  it('exits when its parent process dies', async () => {
    const parent = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const host = startHost();
    await host.initialize({ processId: parent.pid });
    const exited = once(host.child, 'exit');
    parent.kill('SIGKILL');
    await exited;
    assert.notEqual(host.child.exitCode ?? host.child.signalCode, null);
  });
});
