import assert from 'node:assert/strict';
import type { ChatModel, ChatRequest, ChatResponse, ToolCall } from '../../host/models';
import { Accounting, ModelRouter, parseRouterSettings } from '../../host/models';
import { runAgent } from '../../host/orchestration/agentLoop';
import type { AgentRunInput, AgentRunOutput } from '../../host/orchestration/agentRun';
import type { AgentDefinition } from '../../host/orchestration/agents/agentDefinitions';
import { RunStore } from '../../host/orchestration/durable/runStore';
import { runWithFallback } from '../../host/orchestration/recovery/fallback';
import { StuckDetector } from '../../host/orchestration/recovery/stuckDetector';
import { builtinTools } from '../../host/tools';
import type { AskUserAnswer, AskUserParams, StartRunParams } from '../../protocol/rpc';
import { consent, recordingTrace, tempDir } from './helpers';

/** A model whose next answer is computed from what it was sent; it records every request. */
function model(next: (request: ChatRequest, index: number) => Partial<ChatResponse>): ChatModel & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  return {
    provider: 'ollama', model: 'm', baseUrl: 'memory:', requests,
    async chat(request) {
      requests.push({ ...request, messages: [...request.messages] });
      return { content: '', toolCalls: [], usage: { inputTokens: 1000, outputTokens: 100 }, finishReason: 'stop', responseModel: 'm', ...next(request, requests.length - 1) };
    },
  };
}

let ids = 0;
function call(name: string, args: unknown): ToolCall {
  return { id: `c${++ids}`, name, arguments: args };
}

const readA = () => ({ toolCalls: [call('read_file', { path: 'a.txt' })] });

/** The user, as a list of answers; it records each question. */
function user(answers: (AskUserAnswer | Error)[]): { asked: AskUserParams[]; askUser: (q: AskUserParams) => Promise<AskUserAnswer> } {
  const asked: AskUserParams[] = [];
  return {
    asked,
    askUser: async (question) => {
      asked.push(question);
      const answer = answers.shift() ?? { action: 'decline' };
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

function run(chat: ChatModel, person: ReturnType<typeof user>, extra: Partial<AgentRunInput> & { priced?: boolean; fallbacks?: AgentDefinition[] } = {}) {
  const { spans, root } = recordingTrace();
  const price = extra.priced ? { inputPricePerMTok: 1, outputPricePerMTok: 10 } : { inputPricePerMTok: 0, outputPricePerMTok: 0 };
  const settings = parseRouterSettings({
    models: [{ id: 'm', provider: 'ollama', baseUrl: 'http://127.0.0.1:1', model: 'm', contextWindow: 100_000, ...price, capabilities: { tools: true, vision: false, embeddings: false }, roles: ['act'], local: false }],
    retries: 0,
    maxOutputTokens: 100,
  });
  const router = new ModelRouter({ settings, connect: () => chat, accounting: new Accounting({ budgets: {} }) });
  const input: AgentRunInput = {
    runId: 'run-1', goal: 'do it', model: router, privacy: { localOnly: false, localOnlyGlobs: [] },
    limits: { maxSteps: 12, approvalTimeoutMs: 5000 }, tools: builtinTools(), policy: { allowHosts: [] },
    workspace: { root: '/nowhere', readFile: async (path) => (path === 'a.txt' ? 'alpha' : Promise.reject(new Error(`No such file: ${path}`))), createFile: async () => undefined },
    consent: consent({ askUser: person.askUser }),
    span: root, signal: new AbortController().signal,
    ...extra,
  };
  const agents = new Map([...(extra.fallbacks ?? []), ...(extra.agent ? [extra.agent] : [])].map((a) => [a.name, a]));
  const done: Promise<AgentRunOutput> = runWithFallback(input, { agents, problems: [] }, runAgent);
  return { done, spans };
}

/** The messages of one request that are not the system prompt, goal or tool results: what Keel added. */
function userMessages(request: ChatRequest): string[] {
  return request.messages.filter((m) => m.role === 'user').map((m) => m.content).slice(1);
}

describe('recovery', () => {
  describe('stuck detector', () => {
    const ok = (content: string) => ({ ok: true as const, content });
    const failed = (content: string) => ({ ok: false as const, content });

    it('calls the same call with the same arguments and result a loop on the third time, whatever the key order', () => {
      const detector = new StuckDetector();
      detector.afterStep([call('t', { a: 1, b: 2 })], [ok('same')]);
      detector.afterStep([call('t', { b: 2, a: 1 })], [ok('same')]);
      assert.equal(detector.stuck, undefined);
      detector.afterStep([call('t', { a: 1, b: 2 })], [ok('same')]);
      assert.deepEqual(detector.stuck, { kind: 'loop', reason: 'it called t 3 times with the same arguments and got the same result each time' });
    });

    it('counts the same call listed several times in one answer once', () => {
      const detector = new StuckDetector();
      detector.afterStep(Array.from({ length: 64 }, () => call('list_files', {})), Array.from({ length: 64 }, () => ok('a.txt')));
      detector.afterStep([call('list_files', {})], [ok('a.txt')]);
      assert.equal(detector.stuck, undefined);
      detector.afterStep([call('list_files', {})], [ok('a.txt')]);
      assert.match(JSON.stringify(detector.stuck), /"kind":"loop"/);
    });

    it('is not a loop when the result changes (a file read again after an edit)', () => {
      const detector = new StuckDetector();
      for (let i = 0; i < 6; i++) detector.afterStep([call('read_file', { path: 'a' })], [ok(`version ${i}`)]);
      assert.equal(detector.stuck, undefined);
    });

    it('stops after five failed calls in a row, naming the last failure', () => {
      const detector = new StuckDetector();
      for (let i = 0; i < 4; i++) detector.afterStep([call('run_command', { command: `make ${i}` })], [failed(`make ${i} failed\nmore`)]);
      assert.equal(detector.stuck, undefined);
      detector.afterStep([call('run_command', { command: 'make 4' })], [failed('make 4 failed\nmore')]);
      assert.deepEqual(detector.stuck, { kind: 'failures', reason: 'its last 5 tool calls failed (the last: make 4 failed)' });
    });

    it('stops after eight steps without anything new, and starts afresh after guidance', () => {
      const idle = new StuckDetector({ repeats: 100, failures: 100, idleSteps: 8 });
      idle.afterStep([call('a', {})], [ok('x')]);
      for (let i = 0; i < 7; i++) idle.afterStep([call('a', {})], [ok('x')]);
      assert.equal(idle.stuck, undefined);
      idle.afterStep([call('a', {})], [ok('x')]);
      assert.equal(idle.stuck!.kind, 'no_progress');
      idle.reset();
      assert.equal(idle.stuck, undefined);
      idle.afterStep([call('a', {})], [ok('x')]);
      assert.equal(idle.stuck, undefined, 'after guidance the first call is new again');
    });
  });

  describe('escalation', () => {
    it('stops a looping agent, asks the user, and gives the model the guidance', async () => {
      const chat = model((request) => (userMessages(request).length ? { content: 'Took the advice.' } : readA()));
      const person = user([{ action: 'answer', text: 'The answer is in b.txt.' }]);
      const { done, spans } = run(chat, person);
      const output = await done;
      assert.equal(output.outcome, 'succeeded');
      assert.equal(chat.requests.length, 4, 'three reads, then the call after the guidance');
      assert.equal(person.asked.length, 1);
      assert.equal(person.asked[0]!.kind, 'stuck');
      assert.match(person.asked[0]!.question, /stuck: it called read_file 3 times with the same arguments and got the same result each time/);
      assert.deepEqual(userMessages(chat.requests[3]!), ["Keel paused you because it called read_file 3 times with the same arguments and got the same result each time. The user's guidance:\nThe answer is in b.txt."]);
      const escalation = [...spans.values()].find((s) => s.name === 'approval escalation');
      assert.equal(escalation?.attributes['keel.approval.decision'], 'answer');
    });

    it('ends the run as cancelled when the user stops it, and as failed when nobody answers or the question fails', async () => {
      const stopped = await run(model(readA), user([{ action: 'stop' }])).done;
      assert.equal(stopped.outcome, 'cancelled');
      assert.match(stopped.message, /The user stopped the run: the agent keel was stuck because it called read_file 3 times/);
      const unanswered = await run(model(readA), user([{ action: 'decline' }])).done;
      assert.equal(unanswered.outcome, 'failed');
      assert.match(unanswered.message, /stopped because it called read_file 3 times .* nobody gave it guidance/);
      const broken = await run(model(readA), user([new Error('Unhandled method approval/askUser')])).done;
      assert.equal(broken.outcome, 'failed');
      assert.match(broken.message, /nobody gave it guidance/);
    });

    it('escalates repeated failures', async () => {
      let n = 0;
      const output = await run(model(() => ({ toolCalls: [call('read_file', { path: `missing-${n++}.txt` })] })), user([])).done;
      assert.equal(output.outcome, 'failed');
      assert.match(output.message, /its last 5 tool calls failed \(the last: read_file failed: No such file: missing-4\.txt\)/);
    });

    it('leaves loops alone when loop detection is off', async () => {
      const person = user([]);
      const output = await run(model(readA), person, { limits: { maxSteps: 5, approvalTimeoutMs: 5000, loopDetection: false } }).done;
      assert.match(output.message, /after 5 model calls/);
      assert.equal(person.asked.length, 0);
    });

    it('escalates when an agent spends its definition\'s budget, and a go-ahead grants it another budget', async () => {
      // Each call costs 1000 × $1/M + 100 × $10/M = $0.002.
      const agent: AgentDefinition = { name: 'frugal', description: '', path: '.keel/agents/frugal.md', delegate: false, budgetUsd: 0.003, instructions: '' };
      let n = 0;
      const chat = model(() => (n++ < 4 ? { toolCalls: [call('read_file', { path: `f${n}` })] } : { content: 'done' }));
      const person = user([{ action: 'answer', text: '' }, { action: 'decline' }]);
      const output = await run(chat, person, { agent, priced: true }).done;
      assert.equal(person.asked.length, 2);
      assert.match(person.asked[0]!.question, /The agent frugal is stuck: it has spent \$0\.0040, and its budget is \$0\.0030 \(budgetUsd \$0\.0030 in \.keel\/agents\/frugal\.md\)/);
      assert.deepEqual(userMessages(chat.requests[2]!), ['Keel paused you because it has spent $0.0040, and its budget is $0.0030 (budgetUsd $0.0030 in .keel/agents/frugal.md). The user lets you go on; change your approach.']);
      // Another $0.003 from $0.004: asked again once $0.008 is spent, after the fourth call.
      assert.match(person.asked[1]!.question, /spent \$0\.0080, and its budget is \$0\.0070/);
      assert.equal(chat.requests.length, 4);
      assert.equal(output.outcome, 'failed');
    });
  });

  describe('ask_user', () => {
    it('puts the agent\'s question to the user in its name and gives the answer back unfenced', async () => {
      const chat = model((request) => (request.messages.some((m) => m.role === 'tool') ? { content: 'ok' } : { toolCalls: [call('ask_user', { question: 'Which colour?', context: 'The spec says nothing.' })] }));
      const person = user([{ action: 'answer', text: 'Blue.' }]);
      const agent: AgentDefinition = { name: 'painter', description: '', path: '.keel/agents/painter.md', delegate: false, tools: ['read_file'], instructions: '' };
      const output = await run(chat, person, { agent }).done;
      assert.equal(output.outcome, 'succeeded');
      assert.deepEqual(person.asked.map(({ approvalId: _id, ...q }) => q), [{ kind: 'question', question: 'Which colour?', context: 'The spec says nothing.', runId: 'run-1', agent: 'painter' }]);
      assert.ok(chat.requests[0]!.tools.some((t) => t.name === 'ask_user'), 'offered even past an allow list');
      assert.equal(chat.requests[1]!.messages.find((m) => m.role === 'tool')!.content, 'The user answered:\nBlue.');
    });

    it('redacts a secret the model put in its question before the user is shown it', async () => {
      const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD';
      const chat = model((request) => (request.messages.some((m) => m.role === 'tool') ? { content: 'ok' } : { toolCalls: [call('ask_user', { question: `Is ${key} the right key?`, context: `found ${key}` })] }));
      const person = user([{ action: 'decline' }]);
      await run(chat, person).done;
      assert.ok(!JSON.stringify(person.asked).includes(key));
      assert.match(person.asked[0]!.question, /^Is .+ the right key\?$/);
    });

    it('tells the model when nobody answers, and ends the run when the user stops it', async () => {
      const asks = () => model((request) => (request.messages.some((m) => m.role === 'tool') ? { content: 'ok' } : { toolCalls: [call('ask_user', { question: 'Go?' })] }));
      const declined = asks();
      await run(declined, user([{ action: 'decline' }])).done;
      assert.match(declined.requests[1]!.messages.find((m) => m.role === 'tool')!.content, /The user did not answer .* Go on with your best judgement/);
      const stopped = await run(asks(), user([{ action: 'stop' }])).done;
      assert.deepEqual([stopped.outcome, stopped.message], ['cancelled', 'The user stopped the run when asked: Go?']);
    });

    it('refuses bad and huge arguments without asking, and cuts a huge answer', async () => {
      const bad = [{}, { question: '   ' }, { question: 42 }, { question: 'x'.repeat(4001) }, { question: 'ok', extra: true }, 'not json', null];
      const chat = model((_request, index) => (index < bad.length ? { toolCalls: [call('ask_user', bad[index])] } : index === bad.length ? { toolCalls: [call('ask_user', { question: 'Long?' })] } : { content: 'done' }));
      const person = user([{ action: 'answer', text: 'y'.repeat(50_000) }]);
      const output = await run(chat, person, { limits: { maxSteps: 12, approvalTimeoutMs: 5000, loopDetection: false } }).done;
      assert.equal(output.outcome, 'succeeded');
      assert.equal(person.asked.length, 1, 'only the valid question reached the user');
      const results = chat.requests.at(-1)!.messages.filter((m) => m.role === 'tool').map((m) => m.content);
      for (const result of results.slice(0, bad.length)) assert.match(result, /^Invalid arguments for ask_user: .*Send \{ "question": "…" \}/);
      assert.ok(results.at(-1)!.length < 20_100);
      assert.match(results.at(-1)!, /\[30000 more characters were cut\]$/);
    });
  });

  describe('fallback agent', () => {
    const first: AgentDefinition = { name: 'first', description: '', path: '.keel/agents/first.md', delegate: false, fallback: 'second', instructions: 'Try first.' };
    const second: AgentDefinition = { name: 'second', description: '', path: '.keel/agents/second.md', delegate: false, fallback: 'first', instructions: 'Fix it.' };
    /** `first` reads missing files until it is stuck; `second` answers at once. */
    const agents = () => {
      let n = 0;
      return model((request) => (String(request.messages[0]!.content).includes('You are the agent "second"') ? { content: 'second fixed it' } : { toolCalls: [call('read_file', { path: `f${n++}` })] }));
    };

    it('takes over a failed run with the goal and what failed, under its own span', async () => {
      const chat = agents();
      const { done, spans } = run(chat, user([]), { agent: first, fallbacks: [second] });
      const output = await done;
      assert.equal(output.outcome, 'succeeded');
      assert.equal(output.message, 'first failed, so second took over: second fixed it');
      assert.deepEqual(output.toolsUsed, ['read_file']);
      const handedOver = chat.requests[5]!.messages.find((m) => m.role === 'user')!.content;
      assert.match(handedOver, /^do it\n\nThe agent first worked on this first and failed: The agent first was stopped because its last 5 tool calls failed/);
      const span = [...spans.values()].find((s) => s.name === 'invoke_agent second');
      assert.equal(span?.attributes['keel.agent.fallback_for'], 'first');
      assert.equal(chat.requests.length, 6, 'five failed reads, then second');
    });

    it('does not take over a run the user stopped, or one that succeeded', async () => {
      const stopped = await run(model(readA), user([{ action: 'stop' }]), { agent: first, fallbacks: [second] }).done;
      assert.equal(stopped.outcome, 'cancelled');
      assert.doesNotMatch(stopped.message, /took over/);
      const fine = await run(model(() => ({ content: 'all good' })), user([]), { agent: first, fallbacks: [second] }).done;
      assert.equal(fine.message, 'all good');
    });

    it('goes straight back to a fallback that had started when the run is resumed', async () => {
      const REQUEST: StartRunParams = { goal: 'do it', models: { router: {}, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:1', model: 'm' }, apiKeys: {} }, limits: { maxSteps: 12, approvalTimeoutMs: 1000 } };
      const store = new RunStore(await tempDir('keel-fallback-'));
      const runId = '7d3f9c1e-2222-4c4e-9d7e-5a8f2b6c1d00';
      const journal = await store.create({ runId, goal: 'do it', request: REQUEST, traceId: 'c'.repeat(32) });
      const chat = agents();
      await run(chat, user([]), { agent: first, fallbacks: [second], record: journal }).done;
      journal.close();
      const loaded = await store.load(runId);
      assert.ok(loaded !== 'ended' && loaded !== 'missing' && loaded.ok);
      const again = agents();
      const output = await run(again, user([]), { agent: first, fallbacks: [second], record: await store.reopen(loaded) }).done;
      assert.equal(output.message, 'second fixed it');
      assert.equal(again.requests.length, 0, 'neither agent asked the model again');
    });
  });

  describe('agent definition model', () => {
    /** Two models that answer with their own id; `cheap` is what the rules pick. */
    async function answeredBy(model: string | undefined, extra: Record<string, unknown> = {}): Promise<{ message: string; spans: ReturnType<typeof recordingTrace>['spans'] }> {
      const entry = (id: string, price: number, more: Record<string, unknown> = {}) => ({ id, provider: 'ollama', baseUrl: 'http://127.0.0.1:1', model: id, contextWindow: 100_000, inputPricePerMTok: price, outputPricePerMTok: price, capabilities: { tools: true, vision: false, embeddings: false }, roles: ['act'], local: false, ...more });
      const settings = parseRouterSettings({ models: [entry('cheap', 1), entry('strong', 10, extra), entry('plain', 0.1, { roles: ['summarize'] })], retries: 0 });
      const router = new ModelRouter({ settings, connect: (e) => ({ provider: 'ollama', model: e.id, baseUrl: 'memory:', chat: async () => ({ content: `answered by ${e.id}`, toolCalls: [], usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop', responseModel: e.id }) }), accounting: new Accounting({ budgets: {} }) });
      const agent: AgentDefinition = { name: 'picky', description: '', path: '.keel/agents/picky.md', delegate: false, instructions: '', ...(model ? { model } : {}) };
      const { spans, root } = recordingTrace();
      const output = await runAgent({
        runId: 'run-m', goal: 'do it', model: router, privacy: { localOnly: false, localOnlyGlobs: [] }, limits: { maxSteps: 2, approvalTimeoutMs: 1000 }, tools: builtinTools(), policy: { allowHosts: [] },
        workspace: { root: '/nowhere', readFile: async () => '', createFile: async () => undefined }, consent: consent({}), agent, span: root, signal: new AbortController().signal,
      });
      return { message: output.message, spans };
    }

    it('uses the catalogue entry a definition names, even one without the act role', async () => {
      assert.equal((await answeredBy(undefined)).message, 'answered by cheap');
      assert.equal((await answeredBy('strong')).message, 'answered by strong');
      assert.equal((await answeredBy('plain')).message, 'answered by plain');
      assert.equal((await answeredBy('act')).message, 'answered by cheap', 'a task class is not a model id');
    });

    it('lets the rules choose when the named model is unknown or breaks a rule, and says why in the trace', async () => {
      const unknown = await answeredBy('GPT-4.1');
      assert.equal(unknown.message, 'answered by cheap');
      const chat = [...unknown.spans.values()].find((s) => s.operation === 'chat')!;
      assert.equal(chat.attributes['keel.route.named_model'], 'GPT-4.1 was not used: no entry of "keel.router.models" has the id GPT-4.1; the rules chose');
      const toolless = await answeredBy('strong', { capabilities: { tools: false, vision: false, embeddings: false } });
      assert.equal(toolless.message, 'answered by cheap');
    });
  });

  describe('journal', () => {
    const REQUEST: StartRunParams = { goal: 'do it', models: { router: {}, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:1', model: 'm' }, apiKeys: {} }, limits: { maxSteps: 12, approvalTimeoutMs: 1000 } };

    it('records failed attempts of a call, so a resumed run does not start its retries over', async () => {
      const store = new RunStore(await tempDir('keel-retries-'));
      const runId = '7d3f9c1e-3333-4c4e-9d7e-5a8f2b6c1d00';
      const journal = await store.create({ runId, goal: 'do it', request: REQUEST, traceId: 'd'.repeat(32) });
      journal.attempts(2, 0).failed(1, 'connection dropped');
      journal.attempts(2, 0).failed(2, 'connection dropped');
      journal.subagent({ step: 1, index: 0 }, 'helper', 'help').attempts(2, 0).failed(1, 'elsewhere');
      journal.close();
      const loaded = await store.load(runId);
      assert.ok(loaded !== 'ended' && loaded !== 'missing' && loaded.ok);
      const resumed = await store.reopen(loaded);
      assert.deepEqual([resumed.attempts(2, 0).before, resumed.attempts(2, 1).before, resumed.attempts(3, 0).before], [2, 0, 0]);
      assert.equal(resumed.subagent({ step: 1, index: 0 }, 'helper', 'help').attempts(2, 0).before, 1);
      resumed.close();
    });

    it('records the answer to an escalation, so a resumed run replays it instead of asking again', async () => {
      const store = new RunStore(await tempDir('keel-recovery-'));
      const runId = '7d3f9c1e-1111-4c4e-9d7e-5a8f2b6c1d00';
      const first = await store.create({ runId, goal: 'do it', request: REQUEST, traceId: 'b'.repeat(32) });
      const chat = () => model((request) => (userMessages(request).length ? { content: 'Took the advice.' } : readA()));
      const person = user([{ action: 'answer', text: 'Look in b.txt.' }]);
      assert.equal((await run(chat(), person, { record: first }).done).outcome, 'succeeded');
      // No end record: as if the host died after the last step.
      first.close();
      const loaded = await store.load(runId);
      assert.ok(loaded !== 'ended' && loaded !== 'missing' && loaded.ok);
      const again = chat();
      const output = await run(again, person, { record: await store.reopen(loaded) }).done;
      assert.equal(output.outcome, 'succeeded');
      assert.equal(person.asked.length, 1, 'the recorded answer was replayed');
      assert.equal(again.requests.length, 0, 'every step came from the record');
    });
  });
});
