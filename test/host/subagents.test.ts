import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListAgentsRequest, ReadFileRequest, ReviewEditRequest, RunFinishedNotification, SpanNotification, StartRunRequest, type ReviewEditParams } from '../../protocol/rpc';
import type { RunResult } from '../../protocol/run';
import type { SpanData } from '../../protocol/trace';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { headlessWorkspace, tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

describe('subagents over JSON-RPC', function () {
  this.timeout(30_000);
  let server: ModelServer;
  let host: HostProcess;
  let workspace: string;

  before(async () => {
    server = await startModelServer(scriptedAgent);
  });
  after(() => server.close());
  afterEach(async () => {
    assert.equal(await host.stop(), 0);
  });

  it('runs defined agents in parallel, each edit approved over RPC naming its agent, under nested spans', async () => {
    workspace = await tempDir();
    await writeFile(join(workspace, 'a.txt'), 'hello a\n');
    await writeFile(join(workspace, 'b.txt'), 'hello b\n');
    await mkdir(join(workspace, '.keel/agents'), { recursive: true });
    await writeFile(join(workspace, '.keel/agents/lead.md'), '---\ndescription: Splits work\ndelegate: true\n---\nDelegate the edits.\n');
    await writeFile(join(workspace, '.keel/agents/editor.md'), '---\ndescription: Edits one file\ntools: [read_file, propose_edit]\n---\nEdit as asked.\n');
    await mkdir(join(workspace, '.github/agents'), { recursive: true });
    await writeFile(join(workspace, '.github/agents/broken.agent.md'), '---\nmaxSteps: many\n---\n');

    host = startHost();
    const spans = new Map<string, SpanData>();
    const results = new Map<string, RunResult>();
    const reviews: ReviewEditParams[] = [];
    let open = 0;
    let mostOpen = 0;
    const files = headlessWorkspace(workspace, { edit: async () => ({ decision: 'approved' }), toolCall: async () => ({ decision: 'approved' }) });
    host.connection.onNotification(SpanNotification.type, (span) => {
      spans.set(span.spanId, span);
    });
    host.connection.onNotification(RunFinishedNotification.type, (result) => {
      results.set(result.runId, result);
    });
    host.connection.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await files.readFile(path) }));
    host.connection.onRequest(ReviewEditRequest.type, async (review) => {
      reviews.push(review);
      open++;
      mostOpen = Math.max(mostOpen, open);
      // Both questions are open at once before either is answered: the subagents really ask side by side.
      const deadline = Date.now() + 5000;
      while (reviews.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      open--;
      return files.reviewEdit(review, new AbortController().signal);
    });
    await host.initialize({ workspace });

    const listed = await host.connection.sendRequest(ListAgentsRequest.type, {});
    assert.deepEqual(listed.agents.map((a) => a.name).sort(), ['editor', 'lead']);
    assert.equal(listed.problems.length, 1);
    assert.match(listed.problems[0]!, /^\.github\/agents\/broken\.agent\.md:2: maxSteps:/);

    const goal = `delegate in parallel ${JSON.stringify([
      { agent: 'editor', goal: 'replace "hello a" with "hi a" in a.txt' },
      { agent: 'editor', goal: 'replace "hello b" with "hi b" in b.txt' },
    ])}`;
    const models = { router: { retries: 0 }, defaultModel: { provider: 'ollama' as const, baseUrl: server.url, model: 'test-model' }, apiKeys: {} };
    const { runId } = await host.connection.sendRequest(StartRunRequest.type, { goal, agent: 'lead', models, limits: { maxSteps: 8, approvalTimeoutMs: 10_000, maxParallel: 2 } });
    const deadline = Date.now() + 20_000;
    while (!results.has(runId) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const result = results.get(runId);
    assert.equal(result?.outcome, 'succeeded', result?.message);
    assert.match(result!.message, /^Delegated: .*applied to a\.txt.* \| .*applied to b\.txt/);
    assert.equal(await readFile(join(workspace, 'a.txt'), 'utf8'), 'hi a\n');
    assert.equal(await readFile(join(workspace, 'b.txt'), 'utf8'), 'hi b\n');
    assert.equal(mostOpen, 2);
    assert.deepEqual(reviews.map((r) => `${r.agent}:${r.edit.path}`).sort(), ['editor:a.txt', 'editor:b.txt']);

    const trace = [...spans.values()];
    const root = trace.find((s) => s.attributes['keel.run.id'] === runId && s.parentSpanId === undefined)!;
    assert.equal(root.name, 'invoke_agent lead');
    const children = trace.filter((s) => s.traceId === root.traceId && s.name === 'invoke_agent editor');
    assert.equal(children.length, 2);
    for (const child of children) assert.equal(trace.find((s) => s.spanId === child.parentSpanId)?.name, 'execute_tool delegate');
  });

  it('refuses a run of an agent that is not defined, naming the way to list them', async () => {
    workspace = await tempDir();
    host = startHost();
    const results = new Map<string, RunResult>();
    host.connection.onNotification(RunFinishedNotification.type, (result) => {
      results.set(result.runId, result);
    });
    await host.initialize({ workspace });
    const models = { router: { retries: 0 }, defaultModel: { provider: 'ollama' as const, baseUrl: server.url, model: 'test-model' }, apiKeys: {} };
    const { runId } = await host.connection.sendRequest(StartRunRequest.type, { goal: 'summarize a.txt', agent: 'ghost', models, limits: { maxSteps: 4, approvalTimeoutMs: 1000 } });
    const deadline = Date.now() + 10_000;
    while (!results.has(runId) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(results.get(runId)?.outcome, 'failed');
    assert.match(results.get(runId)!.message, /no agent is named ghost/);
    assert.equal(server.requests.filter((r) => JSON.stringify(r.messages).includes('summarize a.txt')).length, 0, 'the model was never asked');
  });
});
