import assert from 'node:assert/strict';
import type { ChatModel, ChatRequest, ChatResponse, ToolCall } from '../../host/models';
import { Accounting, ModelRouter, parseRouterSettings } from '../../host/models';
import { runAgent } from '../../host/orchestration/agentLoop';
import { parseAgentDefinition, type AgentCatalog, type AgentDefinition } from '../../host/orchestration/agents/agentDefinitions';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { RunStore } from '../../host/orchestration/durable/runStore';
import type { StepRecorder } from '../../host/orchestration/durable/stepRecorder';
import { Team } from '../../host/orchestration/subagents';
import type { PolicyDocument } from '../../host/governance/policy/policyDocument';
import { RunPolicy } from '../../host/governance/policy/runPolicy';
import { builtinTools } from '../../host/tools';
import type { ReviewEditParams, ReviewToolCallParams } from '../../protocol/rpc';
import type { RunLimits } from '../../protocol/run';
import { applyEditToText } from '../../host/workspace/textRange';
import { consent, recordingTrace, tempDir } from './helpers';

type Reply = Partial<ChatResponse>;

/** A model that answers by the goal of the agent asking (its first user message) and how many answers it gave it. */
function byGoal(answer: (goal: string, step: number, request: ChatRequest) => Reply | Promise<Reply>): ChatModel & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  return {
    provider: 'ollama', model: 'scripted', baseUrl: 'memory:', requests,
    async chat(request) {
      requests.push(request);
      const goal = String(request.messages.find((m) => m.role === 'user')?.content ?? '');
      const step = request.messages.filter((m) => m.role === 'assistant').length + 1;
      return { content: '', toolCalls: [], usage: { inputTokens: 10, outputTokens: 5 }, finishReason: 'stop', responseModel: 'scripted', ...(await answer(goal, step, request)) };
    },
  };
}

const delegateCall = (goal: string, agent?: string, n = goal): ToolCall => ({ id: `d_${n}`, name: 'delegate', arguments: { goal, ...(agent ? { agent } : {}) } });

function agents(...texts: [string, string][]): AgentCatalog {
  const map = new Map<string, AgentDefinition>();
  for (const [name, text] of texts) {
    const parsed = parseAgentDefinition(`.keel/agents/${name}.md`, text);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problem);
    map.set(parsed.agent.name, parsed.agent);
  }
  return { agents: map, problems: [] };
}

interface SetupOptions {
  /** The policy's levels: the run gets the default agent's rules, each subagent its own section's. */
  policy?: PolicyDocument;
  files?: Record<string, string>;
  catalog?: AgentCatalog;
  limits?: Partial<RunLimits>;
  signal?: AbortSignal;
  record?: StepRecorder;
  /** Counts each file creation, to see that none is repeated. */
  created?: string[];
}

function setup(model: ChatModel, options: SetupOptions = {}) {
  const files = options.files ?? {};
  const { spans, root } = recordingTrace();
  const settings = parseRouterSettings({ models: [{ id: 'scripted', provider: 'ollama', baseUrl: 'http://127.0.0.1:1', model: 'scripted', contextWindow: 100_000, inputPricePerMTok: 0, outputPricePerMTok: 0, capabilities: { tools: true, vision: false, embeddings: false }, roles: ['act'], local: false }], retries: 0, attemptTimeoutSeconds: 10 });
  const router = new ModelRouter({ settings, connect: () => model, accounting: new Accounting({ budgets: {} }) });
  const edits: ReviewEditParams[] = [];
  const toolQuestions: ReviewToolCallParams[] = [];
  const limits: RunLimits = { maxSteps: 8, approvalTimeoutMs: 5000, ...options.limits };
  const levels = options.policy ? [{ level: 'workspace' as const, source: 'test', document: options.policy, hash: 'h' }] : undefined;
  const workspace = {
    root: '/nonexistent',
    async readFile(path: string) {
      if (!(path in files)) throw new Error(`No such file: ${path}`);
      return files[path]!;
    },
    async createFile(path: string, content: string) {
      options.created?.push(path);
      files[path] = content;
    },
  };
  const done = runAgent({
    runId: 'run-1', goal: 'root', model: router, privacy: { localOnly: false, localOnlyGlobs: [] }, limits, tools: builtinTools(),
    policy: { allowHosts: [], ...(levels ? { rules: new RunPolicy(levels, { agent: 'keel', restricted: false }) } : {}) }, workspace,
    consent: consent({
      // Applied as the extension applies an approved edit, after a pause in which another agent could interleave.
      reviewEdit: async (review) => {
        edits.push(review);
        await new Promise((resolve) => setTimeout(resolve, 20));
        files[review.edit.path] = applyEditToText(files[review.edit.path]!, review.edit);
        return { decision: 'approved' };
      },
      reviewToolCall: async (review) => {
        toolQuestions.push(review);
        return { decision: 'approved' };
      },
    }),
    span: root, signal: options.signal ?? new AbortController().signal, record: options.record,
    team: new Team(options.catalog ?? { agents: new Map(), problems: [] }, limits, levels && ((agent) => new RunPolicy(levels, { agent, restricted: false }))),
  });
  return { done, spans, files, edits, toolQuestions };
}

const toolResults = (request: ChatRequest | undefined) => (request?.messages ?? []).filter((m) => m.role === 'tool').map((m) => String(m.content));

describe('subagents', () => {
  it('runs the delegate calls of one answer in parallel, never more at once than maxParallel', async () => {
    let running = 0;
    let most = 0;
    const model = byGoal(async (goal, step) => {
      if (goal === 'root') return step === 1 ? { toolCalls: Array.from({ length: 10 }, (_, i) => delegateCall(`sub ${i}`)) } : { content: 'all done' };
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 30));
      running--;
      return { content: `finished ${goal}` };
    });
    const { done, spans } = setup(model, { limits: { maxParallel: 3 } });
    const output = await done;
    assert.equal(output.outcome, 'succeeded');
    // Three at once: in parallel, and never past the cap.
    assert.equal(most, 3);
    const results = toolResults(model.requests.at(-1));
    assert.equal(results.length, 10);
    // In the order they were called, each fenced as untrusted like any tool result.
    results.forEach((result, i) => assert.match(result, new RegExp(`untrusted[\\s\\S]*finished sub ${i}\\b`)));
    // Each subagent is an invoke_agent span under its delegate execute_tool span.
    const all = [...spans.values()];
    const subagents = all.filter((s) => s.operation === 'invoke_agent');
    assert.equal(subagents.length, 10);
    for (const span of subagents) {
      const parent = all.find((s) => s.spanId === span.parentSpanId)!;
      assert.equal(parent.name, 'execute_tool delegate');
      assert.equal(span.attributes['gen_ai.agent.name'], 'keel');
      assert.equal(span.status, 'ok');
    }
  });

  it('stops starting subagents at the run\'s total and tells the agent why', async () => {
    const model = byGoal((goal, step) => (goal === 'root' ? (step === 1 ? { toolCalls: Array.from({ length: 6 }, (_, i) => delegateCall(`sub ${i}`)) } : { content: 'ok' }) : { content: `finished ${goal}` }));
    const { done } = setup(model, { limits: { maxSubagents: 4 } });
    assert.equal((await done).outcome, 'succeeded');
    const results = toolResults(model.requests.at(-1));
    assert.equal(results.filter((r) => r.includes('finished sub')).length, 4);
    assert.equal(results.filter((r) => r.includes('started all 4 subagents')).length, 2);
  });

  it('offers delegate to the default agent, to defined agents that may delegate, and never past depth 2', async () => {
    const catalog = agents(
      ['lead', '---\ndescription: Leads\ndelegate: true\n---\nSplit the work.'],
      ['worker', '---\ndescription: Works\ntools: [read_file]\n---\nDo the work.'],
    );
    const offered = new Map<string, string[]>();
    const model = byGoal((goal, step, request) => {
      offered.set(goal, request.tools?.map((t) => t.name) ?? []);
      if (goal === 'root' && step === 1) return { toolCalls: [delegateCall('lead goal', 'lead'), delegateCall('worker goal', 'worker')] };
      if (goal === 'lead goal' && step === 1) return { toolCalls: [delegateCall('deep goal', 'lead')] };
      return { content: `finished ${goal}` };
    });
    const { done, spans } = setup(model, { catalog });
    assert.equal((await done).outcome, 'succeeded');
    assert.ok(offered.get('root')!.includes('delegate'));
    assert.ok(offered.get('lead goal')!.includes('delegate'), 'a definition with delegate: true at depth 1');
    assert.ok(!offered.get('deep goal')!.includes('delegate'), 'depth 2 may not delegate, whatever its definition says');
    assert.deepEqual(offered.get('worker goal'), ['read_file', 'ask_user'], 'the allow list and ask_user, without delegate');
    const names = [...spans.values()].filter((s) => s.operation === 'invoke_agent').map((s) => s.attributes['gen_ai.agent.name']).sort();
    assert.deepEqual(names, ['lead', 'lead', 'worker']);
  });

  it('refuses delegation when maxParallel is 0, and a delegate call naming no known agent', async () => {
    const off = byGoal((_goal, step, request) => (step === 1 ? { content: (request.tools ?? []).map((t) => t.name).join(',') } : { content: 'x' }));
    const { done } = setup(off, { limits: { maxParallel: 0 } });
    assert.ok(!(await done).message.split(',').includes('delegate'));
    const unknown = byGoal((_goal, step) => (step === 1 ? { toolCalls: [delegateCall('g', 'nobody'), { id: 'bad', name: 'delegate', arguments: { goal: '' } }] } : { content: 'ok' }));
    const run = setup(unknown);
    assert.equal((await run.done).outcome, 'succeeded');
    const [first, second] = toolResults(unknown.requests.at(-1));
    assert.match(first!, /No agent is named "nobody"/);
    assert.match(second!, /Invalid arguments for delegate: goal/);
  });

  it('serializes two subagents\' edits of one file and returns the loser a conflict instead of overwriting', async () => {
    const catalog = agents(['writer-a', '---\ndescription: A\n---\n'], ['writer-b', '---\ndescription: B\n---\n']);
    const model = byGoal((goal, step) => {
      if (goal === 'root') return step === 1 ? { toolCalls: [delegateCall('edit as a', 'writer-a'), delegateCall('edit as b', 'writer-b')] } : { content: 'ok' };
      if (step === 1) return { toolCalls: [{ id: 'e', name: 'propose_edit', arguments: { path: 'a.txt', old_text: 'one', new_text: goal === 'edit as a' ? 'ONE' : 'uno' } }] };
      return { content: `${goal}: ${String(model.requests.at(-1)?.messages.at(-1)?.content)}` };
    });
    const { done, files, edits } = setup(model, { catalog, files: { 'a.txt': 'one\ntwo\n' } });
    assert.equal((await done).outcome, 'succeeded');
    // Exactly one edit was asked about and applied; the file holds it, not a mix.
    assert.equal(edits.length, 1);
    const winner = edits[0]!.agent;
    assert.ok(winner === 'writer-a' || winner === 'writer-b');
    assert.equal(files['a.txt'], winner === 'writer-a' ? 'ONE\ntwo\n' : 'uno\ntwo\n');
    const loser = winner === 'writer-a' ? 'writer-b' : 'writer-a';
    const results = toolResults(model.requests.at(-1));
    assert.match(results.find((r) => r.includes(`edit as ${loser.slice(-1)}:`))!, new RegExp(`Conflict: the agent ${winner} of this run changed a\\.txt`));
  });

  it('names the asking agent in approvals from parallel subagents', async () => {
    const catalog = agents(['runner-a', '---\ndescription: A\n---\n'], ['runner-b', '---\ndescription: B\n---\n']);
    const model = byGoal((goal, step) => {
      if (goal === 'root') return step === 1 ? { toolCalls: [delegateCall('make a', 'runner-a'), delegateCall('make b', 'runner-b')] } : { content: 'ok' };
      if (step === 1) return { toolCalls: [{ id: 'c', name: 'create_file', arguments: { path: `${goal.slice(-1)}.txt`, content: goal } }] };
      return { content: 'made' };
    });
    const { done, files, toolQuestions } = setup(model, { catalog });
    assert.equal((await done).outcome, 'succeeded');
    assert.deepEqual(toolQuestions.map((q) => `${q.agent}:${q.tool}`).sort(), ['runner-a:create_file', 'runner-b:create_file']);
    assert.equal(files['a.txt'], 'make a');
    assert.equal(files['b.txt'], 'make b');
  });

  it('gives each subagent its own section of the policy', async () => {
    const catalog = agents(['runner-a', '---\ndescription: A\n---\n'], ['runner-b', '---\ndescription: B\n---\n']);
    const model = byGoal((goal, step) => {
      if (goal === 'root') return step === 1 ? { toolCalls: [delegateCall('make a', 'runner-a'), delegateCall('make b', 'runner-b')] } : { content: 'ok' };
      if (step === 1) return { toolCalls: [{ id: 'c', name: 'create_file', arguments: { path: `${goal.slice(-1)}.txt`, content: goal } }] };
      return { content: String(model.requests.at(-1)?.messages.at(-1)?.content) };
    });
    const { done, files } = setup(model, { catalog, policy: { agents: { 'runner-b': { tools: { deny: ['create_file'] } } } } });
    assert.equal((await done).outcome, 'succeeded');
    assert.equal(files['a.txt'], 'make a');
    assert.equal(files['b.txt'], undefined);
    assert.match(toolResults(model.requests.at(-1)).join('\n'), /The policy denies create_file/);
  });

  it('ends waiting and working subagents with the run\'s cancellation', async () => {
    const controller = new AbortController();
    const model = byGoal(async (goal, step) => {
      if (goal === 'root') return step === 1 ? { toolCalls: Array.from({ length: 4 }, (_, i) => delegateCall(`sub ${i}`)) } : { content: 'ok' };
      setTimeout(() => controller.abort(), 10);
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { content: 'late' };
    });
    const { done } = setup(model, { limits: { maxParallel: 1 }, signal: controller.signal });
    const output = await done;
    assert.equal(output.outcome, 'cancelled');
    // One subagent started; the others were still waiting for the slot and never asked the model.
    assert.equal(model.requests.length, 2);
  });

  it('resumes a run stopped during parallel subagents without repeating a finished one or any side effect', async () => {
    const dir = await tempDir('keel-subagent-runs-');
    try {
      const store = new RunStore(dir);
      const runId = randomUUID();
      const request = { goal: 'root', models: { router: {}, defaultModel: { provider: 'ollama' as const, baseUrl: 'http://127.0.0.1:1', model: 'scripted' }, apiKeys: {} }, limits: { maxSteps: 8, approvalTimeoutMs: 5000 } };
      const files: Record<string, string> = {};
      const created: string[] = [];
      const controller = new AbortController();
      let zeroDone!: () => void;
      const zeroFinished = new Promise<void>((resolve) => (zeroDone = resolve));
      const first = byGoal(async (goal, step) => {
        if (goal === 'root') return { toolCalls: [delegateCall('sub 0'), delegateCall('sub 1')] };
        if (step === 1) {
          // The second subagent makes its file once the first has finished.
          if (goal === 'sub 1') await zeroFinished;
          return { toolCalls: [{ id: 'c', name: 'create_file', arguments: { path: `${goal.slice(-1)}.txt`, content: goal } }] };
        }
        if (goal === 'sub 0') {
          setImmediate(zeroDone);
          return { content: 'made 0' };
        }
        // The host stops while the second subagent waits for its model.
        controller.abort();
        throw new Error('the host stopped');
      });
      const journal = await store.create({ runId, goal: 'root', request, traceId: 'b'.repeat(32) });
      const stopped = setup(first, { files, created, record: journal, signal: controller.signal, limits: { maxParallel: 2 } });
      assert.equal((await stopped.done).outcome, 'cancelled');
      journal.close();
      assert.deepEqual(created.sort(), ['0.txt', '1.txt']);

      const loaded = await store.load(runId);
      assert.ok(typeof loaded === 'object' && loaded.ok);
      const resumedJournal = await store.reopen(loaded);
      const asked: string[] = [];
      const second = byGoal((goal, step) => {
        asked.push(`${goal}#${step}`);
        return { content: goal === 'root' ? 'all done' : 'made 1' };
      });
      const resumed = setup(second, { files, created, record: resumedJournal, limits: { maxParallel: 2 } });
      const output = await resumed.done;
      assert.equal(output.outcome, 'succeeded', output.message);
      // Only what had not finished asked the model again: the second subagent's last step and the run's own.
      assert.deepEqual(asked.sort(), ['root#2', 'sub 1#2']);
      // No file was made twice.
      assert.deepEqual(created.sort(), ['0.txt', '1.txt']);
      const results = toolResults(second.requests.find((r) => r.messages.some((m) => m.role === 'user' && m.content === 'root')));
      assert.match(results[0]!, /made 0/);
      assert.match(results[1]!, /made 1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
