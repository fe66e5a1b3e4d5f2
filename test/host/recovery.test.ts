import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { AskUserRequest, PingRequest, ReviewToolCallRequest, ReadFileRequest, RunFinishedNotification, SpanNotification, StartRunRequest, type AskUserAnswer, type AskUserParams } from '../../protocol/rpc';
import type { RunLimits, RunResult } from '../../protocol/run';
import type { SpanData } from '../../protocol/trace';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { catalogEntry } from '../fixtures/catalogEntry';
import { tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

describe('recovery over JSON-RPC', function () {
  this.timeout(30_000);
  let server: ModelServer;
  let host: HostProcess;
  let workspace: string;
  let spans: Map<string, SpanData>;
  let results: Map<string, RunResult>;

  before(async () => {
    // The agent named "rescuer" answers at once; every other agent follows the scripted goals.
    server = await startModelServer((request, index) =>
      String(request.messages[0]?.content).includes('You are the agent "rescuer"') ? { kind: 'message', content: 'rescued' } : scriptedAgent(request, index),
    );
  });
  after(() => server.close());

  /** A host over a workspace with a README, answering the user's questions with `answers` (none: the method is not handled). */
  async function start(answers?: (question: AskUserParams) => AskUserAnswer | Promise<AskUserAnswer>): Promise<void> {
    workspace = await tempDir();
    await writeFile(join(workspace, 'README.md'), 'readme\n');
    host = startHost();
    spans = new Map();
    results = new Map();
    host.connection.onNotification(SpanNotification.type, (span) => {
      spans.set(span.spanId, span);
    });
    host.connection.onNotification(RunFinishedNotification.type, (result) => {
      results.set(result.runId, result);
    });
    host.connection.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: path === 'README.md' ? 'readme\n' : '' }));
    if (answers) host.connection.onRequest(AskUserRequest.type, (question) => answers(question));
    await host.initialize({ workspace });
  }
  afterEach(async () => {
    assert.equal(await host.stop(), 0);
  });

  async function run(goal: string, limits: Partial<RunLimits> = {}, extra: { agent?: string; allowHosts?: string[] } = {}, router: Record<string, unknown> = {}): Promise<RunResult> {
    const models = { router: { retries: 0, ...router }, defaultModel: { provider: 'ollama' as const, baseUrl: server.url, model: 'test-model' }, apiKeys: {} };
    const { runId } = await host.connection.sendRequest(StartRunRequest.type, { goal, models, limits: { maxSteps: 12, approvalTimeoutMs: 10_000, ...limits }, ...extra });
    const deadline = Date.now() + 20_000;
    while (!results.has(runId) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return results.get(runId) ?? assert.fail(`run ${runId} did not finish`);
  }

  it('answers an agent\'s ask_user over RPC and gives the answer to the model', async () => {
    const asked: AskUserParams[] = [];
    await start((question) => {
      asked.push(question);
      return { action: 'answer', text: 'Use tabs.' };
    });
    const result = await run('call tool ask_user with {"question": "Tabs or spaces?", "context": "The repo mixes both."}');
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.equal(result.message, 'ask_user said: The user answered:\nUse tabs.');
    assert.equal(asked.length, 1);
    assert.deepEqual({ kind: asked[0]!.kind, question: asked[0]!.question, context: asked[0]!.context, agent: asked[0]!.agent }, { kind: 'question', question: 'Tabs or spaces?', context: 'The repo mixes both.', agent: 'keel' });
    const approval = [...spans.values()].find((s) => s.name === 'approval ask_user');
    assert.equal(approval?.attributes['keel.approval.decision'], 'answer');
  });

  it('refuses bad ask_user arguments without asking anyone', async () => {
    let asked = 0;
    await start(() => {
      asked++;
      return { action: 'decline' };
    });
    const result = await run(`call tool ask_user with {"question": "${'x'.repeat(5000)}"}`);
    assert.match(result.message, /^ask_user said: Invalid arguments for ask_user: question: Too big/);
    assert.equal(asked, 0);
  });

  it('stops a looping agent and asks for guidance, which the model follows', async () => {
    const asked: AskUserParams[] = [];
    await start(async (question) => {
      asked.push(question);
      // The host keeps answering while it waits for the user.
      assert.ok((await host.connection.sendRequest(PingRequest.type, { sentAt: Date.now() })).hostTime > 0);
      return { action: 'answer', text: 'summarize README.md' };
    });
    const before = server.requests.length;
    const result = await run('loop forever');
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.equal(result.message, 'README.md has 1 lines.');
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.kind, 'stuck');
    assert.match(asked[0]!.question, /^The agent keel is stuck: it called read_file 3 times with the same arguments and got the same result each time\. Give it guidance/);
    // Three reads, then the guided answer from what the agent read.
    assert.equal(server.requests.length - before, 4);
    const escalated = [...spans.values()].find((s) => s.operation === 'invoke_agent');
    assert.equal(escalated?.attributes['keel.recovery.stuck'], 'loop');
  });

  it('ends a stuck run as cancelled when the user says stop', async () => {
    await start(() => ({ action: 'stop' }));
    const before = server.requests.length;
    const result = await run('loop forever');
    assert.equal(result.outcome, 'cancelled');
    assert.match(result.message, /^The user stopped the run: the agent keel was stuck because it called read_file 3 times/);
    assert.equal(server.requests.length - before, 3);
  });

  it('fails a stuck run when nobody can answer (no handler in the client), and the host stays up', async () => {
    await start();
    const result = await run('loop forever');
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /was stopped because it called read_file 3 times .* nobody gave it guidance/);
    assert.ok((await host.connection.sendRequest(PingRequest.type, { sentAt: Date.now() })).hostTime > 0);
  });

  it('hands a failed run of a definition to its fallback agent, under a nested span', async () => {
    await start();
    await mkdir(join(workspace, '.keel/agents'), { recursive: true });
    await writeFile(join(workspace, '.keel/agents/reader.md'), '---\nmaxSteps: 1\nfallback: rescuer\n---\nRead things.\n');
    await writeFile(join(workspace, '.keel/agents/rescuer.md'), '---\ndescription: Takes over\n---\nFinish what the other agent could not.\n');
    const result = await run('loop forever', {}, { agent: 'reader' });
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.equal(result.message, 'reader failed, so rescuer took over: rescued');
    const handedOver = server.requests.at(-1)!.messages.filter((m) => m?.role === 'user').at(-1);
    assert.match(String(handedOver.content), /^loop forever\n\nThe agent reader worked on this first and failed: The agent stopped after 1 model calls/);
    const root = [...spans.values()].find((s) => s.name === 'invoke_agent reader')!;
    const fallback = [...spans.values()].find((s) => s.name === 'invoke_agent rescuer')!;
    assert.equal(fallback.parentSpanId, root.spanId);
    assert.equal(fallback.attributes['keel.agent.fallback_for'], 'reader');
    assert.equal(root.attributes['keel.recovery.fallback'], 'rescuer');
  });

  it('hands a failed subagent to its definition\'s fallback, and the delegating agent gets the fallback\'s answer', async () => {
    await start();
    await mkdir(join(workspace, '.keel/agents'), { recursive: true });
    await writeFile(join(workspace, '.keel/agents/lead.md'), '---\ndelegate: true\n---\nDelegate.\n');
    await writeFile(join(workspace, '.keel/agents/reader.md'), '---\nmaxSteps: 1\nfallback: rescuer\n---\nRead things.\n');
    await writeFile(join(workspace, '.keel/agents/rescuer.md'), '---\ndescription: Takes over\n---\nFinish what the other agent could not.\n');
    const result = await run(`delegate in parallel ${JSON.stringify([{ agent: 'reader', goal: 'loop forever' }])}`, {}, { agent: 'lead' });
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.match(result.message, /^Delegated: reader failed, so rescuer took over: rescued$/);
    const reader = [...spans.values()].find((s) => s.name === 'invoke_agent reader')!;
    const rescuer = [...spans.values()].find((s) => s.name === 'invoke_agent rescuer')!;
    assert.equal(spans.get(reader.parentSpanId!)?.name, 'execute_tool delegate');
    assert.equal(rescuer.parentSpanId, reader.spanId);
    assert.equal(reader.attributes['keel.recovery.fallback'], 'rescuer');
  });

  it('tries a transiently failing fetch again with backoff, counting the attempts in the trace', async () => {
    let hits = 0;
    const flaky = createServer((_req, res) => (++hits < 3 ? res.writeHead(503).end('busy') : res.writeHead(200, { 'content-type': 'text/plain' }).end('finally')));
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const { port } = flaky.address() as { port: number };
    try {
      await start();
      host.connection.onRequest(ReviewToolCallRequest.type, () => ({ decision: 'approved' as const }));
      const started = Date.now();
      const result = await run(`call tool fetch_url with {"url": "http://127.0.0.1:${port}/"}`, {}, { allowHosts: [`127.0.0.1:${port}`] });
      assert.equal(result.outcome, 'succeeded', result.message);
      assert.match(result.message, /HTTP 200 text\/plain\s+finally/);
      assert.equal(hits, 3);
      // Two waits of about 0.5 s and 1 s, each with jitter of half either way.
      assert.ok(Date.now() - started >= 750);
      const call = [...spans.values()].find((s) => s.name === 'execute_tool fetch_url');
      assert.equal(call?.attributes['keel.tool.retries'], 2);
      // Asked once, not once per attempt.
      assert.equal([...spans.values()].filter((s) => s.operation === 'approval').length, 1);
    } finally {
      flaky.close();
    }
  });

  it('asks when an agent has spent its definition\'s budgetUsd, and stops the run on the user\'s word', async () => {
    const asked: AskUserParams[] = [];
    await start((question) => {
      asked.push(question);
      return { action: 'stop' };
    });
    await mkdir(join(workspace, '.keel/agents'), { recursive: true });
    await writeFile(join(workspace, '.keel/agents/frugal.md'), '---\nbudgetUsd: 0.000001\n---\nSpend little.\n');
    const plan = JSON.stringify([{ tool: 'list_files', args: { glob: '*' } }, { tool: 'list_files', args: { glob: '**' } }]);
    const router = { models: [catalogEntry('priced', 'ollama', server.url, { inputPricePerMTok: 2, outputPricePerMTok: 8 })] };
    const before = server.requests.length;
    const result = await run(`follow plan ${plan}`, {}, { agent: 'frugal' }, router);
    assert.equal(result.outcome, 'cancelled', result.message);
    assert.equal(server.requests.length - before, 1, 'asked after the first call, before the second');
    assert.equal(asked.length, 1);
    assert.match(asked[0]!.question, /^The agent frugal is stuck: it has spent \$0\.\d+, and its budget is \$0\.0000 \(budgetUsd \$0\.0000 in \.keel\/agents\/frugal\.md\)/);
    assert.equal(asked[0]!.agent, 'frugal');
  });
});
