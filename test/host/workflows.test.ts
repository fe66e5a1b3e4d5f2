import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AskUserRequest, CancelRunRequest, ContinueRunRequest, ListRunsRequest, ReviewEditRequest, UndoRunRequest, WriteFileRequest, ListFailedTasksRequest, ListUnfinishedRunsRequest, RetryFailedTaskRequest, PingRequest, PlanWorkflowRequest, ReadFileRequest, RepeatStepRequest, ResumeRunRequest, ReviewToolCallRequest, RunFinishedNotification, SpanNotification, StartWorkflowRequest, type StartWorkflowParams } from '../../protocol/rpc';
import type { RunResult, ToolCallDecision } from '../../protocol/run';
import type { SpanData } from '../../protocol/trace';
import { crashModel, crashModels } from '../fixtures/crashScenario';
import type { ModelServer } from '../fixtures/modelServer';
import { readdir } from 'node:fs/promises';
import { applyEditToText } from '../../host/workspace/textRange';
import { RAW } from '../fixtures/leakySecrets';
import { tempDir } from '../unit/helpers';
import { runCli } from './cliProcess';
import { startHost } from './hostProcess';

/** A host on a workspace holding `workflows` (by file name under .keel/workflows), answering reads and questions. */
async function hostWith(workspace: string, storageDir: string, answers: { toolCall?: (tool: string, detail: string) => Promise<ToolCallDecision>; ask?: (question: string) => string } = {}) {
  const host = startHost();
  const spans = new Map<string, SpanData>();
  const results = new Map<string, RunResult>();
  const waiting = new Map<string, (result: RunResult) => void>();
  host.connection.onNotification(SpanNotification.type, (span) => void spans.set(span.spanId, span));
  host.connection.onNotification(RunFinishedNotification.type, (result) => {
    results.set(result.runId, result);
    waiting.get(result.runId)?.(result);
  });
  host.connection.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await readFile(join(workspace, path), 'utf8') }));
  host.connection.onRequest(ReviewEditRequest.type, async ({ edit }) => {
    await writeFile(join(workspace, edit.path), applyEditToText(await readFile(join(workspace, edit.path), 'utf8'), edit));
    return { decision: 'approved' as const };
  });
  host.connection.onRequest(WriteFileRequest.type, ({ path, content }) => writeFile(join(workspace, path), content));
  host.connection.onRequest(ReviewToolCallRequest.type, ({ tool, detail }) => answers.toolCall?.(tool, detail) ?? { decision: 'approved' as const });
  // The user can tell whether a command that may have run did: its line is in the marker file or not.
  host.connection.onRequest(RepeatStepRequest.type, async ({ detail }) => {
    const word = /echo (\w+) >>/.exec(detail)?.[1];
    const marker = await readFile(join(workspace, 'marker.txt'), 'utf8').catch(() => '');
    return { choice: word && marker.split('\n').includes(word) ? ('skip' as const) : ('run' as const) };
  });
  host.connection.onRequest(AskUserRequest.type, ({ question, kind, agent }) => {
    assert.equal(kind, 'question');
    assert.equal(agent, 'workflow');
    const text = answers.ask?.(question) ?? 'yes';
    return text === 'STOP' ? { action: 'stop' as const } : text === 'DECLINE' ? { action: 'decline' as const } : { action: 'answer' as const, text };
  });
  await host.initialize({ workspace, storageDir });
  const finished = (runId: string) => results.get(runId) ?? new Promise<RunResult>((resolve) => waiting.set(runId, resolve));
  return { host, spans, finished, results };
}

function params(server: ModelServer, path: string, extra: Partial<StartWorkflowParams> = {}): StartWorkflowParams {
  return { path, models: crashModels(server), limits: { maxSteps: 8, approvalTimeoutMs: 30_000 }, commandSandbox: 'off', ...extra };
}

async function putWorkflow(workspace: string, name: string, text: string): Promise<string> {
  await mkdir(join(workspace, '.keel', 'workflows'), { recursive: true });
  await writeFile(join(workspace, '.keel', 'workflows', name), text);
  return `.keel/workflows/${name}`;
}

describe('workflows over JSON-RPC', function () {
  this.timeout(60_000);
  let server: ModelServer;
  let workspace: string;
  let storageDir: string;
  let client: Awaited<ReturnType<typeof hostWith>>;

  before(async () => {
    server = await crashModel(0);
    workspace = await tempDir();
    storageDir = await tempDir('keel-workflows-');
    await writeFile(join(workspace, 'a.txt'), 'one\ntwo\n');
    await writeFile(join(workspace, 'b.txt'), 'one\ntwo\nthree\n');
    client = await hostWith(workspace, storageDir, { ask: (question) => (question.includes('Which') ? 'b' : question.includes('Stop') ? 'STOP' : 'DECLINE') });
  });
  after(async () => {
    assert.equal(await client.host.stop(), 0, 'the host exits cleanly');
    await server.close();
  });

  async function run(path: string, extra: Partial<StartWorkflowParams> = {}): Promise<{ runId: string; result: RunResult }> {
    const { runId } = await client.host.connection.sendRequest(StartWorkflowRequest.type, params(server, path, extra));
    return { runId, result: await client.finished(runId) };
  }

  it('runs agents in parallel and in a pipeline, asks the user, and traces the agents under the workflow span', async () => {
    const path = await putWorkflow(workspace, 'two.js', [
      'const [a, b] = await parallel([() => agent(null, "summarize a.txt"), () => agent({ goal: "summarize b.txt" })]);',
      'const pick = await ask("Which summary? a or b");',
      'const piped = await pipeline("x.txt", (p) => p.replace("x", input.file));',
      'return { a, b, pick, piped, spent: budget.spentUsd, left: budget.agentsLeft };',
    ].join('\n'));
    const { runId, result } = await run(path, { input: { file: 'a' } });
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.deepEqual(JSON.parse(result.message), { a: 'a.txt has 2 lines.', b: 'b.txt has 3 lines.', pick: 'b', piped: 'a.txt', spent: 0, left: 14 });
    const spans = [...client.spans.values()].filter((s) => s.attributes['keel.run.id'] === runId || s.traceId === [...client.spans.values()].find((r) => r.attributes['keel.run.id'] === runId)?.traceId);
    const root = spans.find((s) => s.operation === 'invoke_workflow');
    assert.ok(root, 'a workflow span');
    assert.equal(root.name, 'invoke_workflow .keel/workflows/two.js');
    assert.equal(root.parentSpanId, undefined);
    const agents = spans.filter((s) => s.operation === 'invoke_agent');
    assert.equal(agents.length, 2);
    for (const span of agents) assert.equal(span.parentSpanId, root.spanId, 'each agent beneath the workflow');
    assert.ok(spans.some((s) => s.operation === 'approval' && s.parentSpanId === root.spanId), 'the question is an approval span of the workflow');
  });

  it('lets the script handle a declined question, and ends the run when the user stops it', async () => {
    const declined = await run(await putWorkflow(workspace, 'declined.js', 'try { return await ask("Anything?"); } catch (e) { return "no answer: " + e.message; }'));
    assert.equal(declined.result.message, 'no answer: The user declined to answer the question.');
    const stopped = await run(await putWorkflow(workspace, 'stopped.js', 'await ask("Stop here?");\nreturn await agent(null, "summarize a.txt");'));
    assert.equal(stopped.result.outcome, 'cancelled');
    assert.match(stopped.result.message, /The user stopped the run when the workflow asked: Stop here\?/);
  });

  it('fails a workflow that throws, names the file and line of a syntax error, and refuses garbage for agent() and ask()', async () => {
    const thrown = await run(await putWorkflow(workspace, 'throws.js', 'const x = 1;\nthrow new Error("no plan for " + x);'));
    assert.equal(thrown.result.outcome, 'failed');
    assert.match(thrown.result.message, /workflow \.keel\/workflows\/throws\.js failed: Error: no plan for 1/);
    assert.match(thrown.result.message, /\.keel\/workflows\/throws\.js:2/);

    const syntax = await run(await putWorkflow(workspace, 'syntax.js', 'const a = 1;\nconst b = ;\nreturn a;'));
    assert.equal(syntax.result.outcome, 'failed');
    assert.match(syntax.result.message, /SyntaxError: .*\n\s+at \.keel\/workflows\/syntax\.js:2:\d+/);

    const garbage = await run(await putWorkflow(workspace, 'garbage.js', [
      'const errors = [];',
      'for (const args of [[42], [{ goal: 7 }], ["nobody", "x"], [null, ""], [null, "x".repeat(30000)], [{ goal: "g", extra: 1 }]]) {',
      '  try { await agent(...args); errors.push("ran"); } catch (e) { errors.push(e.message); }',
      '}',
      'try { await ask({ not: "a string" }); } catch (e) { errors.push(e.message); }',
      'return errors;',
    ].join('\n')));
    assert.equal(garbage.result.outcome, 'succeeded', garbage.result.message);
    const errors = JSON.parse(garbage.result.message) as string[];
    assert.equal(errors.length, 7);
    assert.match(errors[0]!, /agent\(\) was given 42/);
    assert.match(errors[1]!, /goal/);
    assert.match(errors[2]!, /No agent is named "nobody"/);
    assert.match(errors[3]!, /no goal/);
    assert.match(errors[4]!, /30000 characters/);
    assert.match(errors[5]!, /extra/);
    assert.match(errors[6]!, /ask\(question\) takes a question/);
  });

  it('stops a workflow that loops or exceeds its memory, gives it no file, shell or network access, and stays up', async () => {
    const loop = await run(await putWorkflow(workspace, 'loop.js', 'while (true) {}'), { computeMs: 300 });
    assert.equal(loop.result.outcome, 'failed');
    assert.match(loop.result.message, /limits\.computeMs = 300 ms/);

    const memory = await run(await putWorkflow(workspace, 'memory.js', 'const held = []; for (;;) held.push(new Array(1e6).fill(1));'));
    assert.equal(memory.result.outcome, 'failed');
    assert.match(memory.result.message, /out of memory/);

    const powers = await run(await putWorkflow(workspace, 'powers.js', 'return [typeof readFile, typeof listFiles, typeof fetch, typeof require, typeof process].join(",");'));
    assert.equal(powers.result.message, 'undefined,undefined,undefined,undefined,undefined');
    assert.ok((await client.host.connection.sendRequest(PingRequest.type, { sentAt: 1 })).hostTime > 0);
  });

  it('plans a workflow with the planning model: a script that parses, runs once saved; one that does not parse is refused', async () => {
    const planned = await client.host.connection.sendRequest(PlanWorkflowRequest.type, { goal: 'summarize a.txt and summarize b.txt', models: crashModels(server) });
    assert.equal(planned.path, '.keel/workflows/summarize-a-txt-and-summarize-b.js');
    assert.match(planned.script, /^\/\/ Planned by Keel for: summarize a\.txt and summarize b\.txt\nconst parts = await parallel/);
    await putWorkflow(workspace, 'summarize-a-txt-and-summarize-b.js', planned.script);
    const { result } = await run(planned.path);
    assert.equal(result.message, 'a.txt has 2 lines. | b.txt has 3 lines.');
    await assert.rejects(client.host.connection.sendRequest(PlanWorkflowRequest.type, { goal: 'a broken plan', models: crashModels(server) }), /does not parse \(SyntaxError: [^\n]*\n\s+at line 1/);
    const plans = [...client.spans.values()].filter((s) => s.name === 'plan_workflow');
    assert.deepEqual(plans.map((s) => s.status), ['ok', 'error']);
  });

  it('keeps a failed workflow on the dead-letter queue; fixed and retried, it goes on without running its finished agents again', async () => {
    const path = await putWorkflow(workspace, 'fixme.js', 'const a = await agent(null, "summarize a.txt");\nthrow new Error("not yet");');
    const failed = await run(path);
    assert.equal(failed.result.outcome, 'failed');
    const { tasks } = await client.host.connection.sendRequest(ListFailedTasksRequest.type, {});
    const task = tasks.find((t) => t.runId === failed.runId);
    assert.equal(task?.agent, 'workflow');
    assert.match(task.goal, /^Workflow \.keel\/workflows\/fixme\.js/);
    await putWorkflow(workspace, 'fixme.js', 'const a = await agent(null, "summarize a.txt");\nreturn a + " " + (await agent(null, "summarize b.txt"));');
    const before = server.requests.length;
    client.results.delete(failed.runId);
    await client.host.connection.sendRequest(RetryFailedTaskRequest.type, { runId: failed.runId, models: crashModels(server) });
    const retried = await client.finished(failed.runId);
    assert.equal(retried.outcome, 'succeeded', retried.message);
    assert.equal(retried.message, 'a.txt has 2 lines. b.txt has 3 lines.');
    assert.equal(server.requests.length - before, 2, 'only the new agent asked the model (read, then answer)');
  });

  it('lists a workflow run as a workflow, undoes its agents\' edits, and refuses to continue it', async () => {
    await writeFile(join(workspace, 'c.txt'), 'one two\n');
    const { runId, result } = await run(await putWorkflow(workspace, 'edit.js', 'return await agent(null, \'replace "one" with "uno" in c.txt\');'));
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.equal(await readFile(join(workspace, 'c.txt'), 'utf8'), 'uno two\n');
    const { runs } = await client.host.connection.sendRequest(ListRunsRequest.type, {});
    const listed = runs.find((r) => r.runId === runId);
    assert.equal(listed?.kind, 'workflow');
    assert.equal(listed.agent, 'workflow');
    await assert.rejects(client.host.connection.sendRequest(ContinueRunRequest.type, { runId, message: 'go on', models: crashModels(server) }), /is a workflow, which cannot be continued/);
    const undone = await client.host.connection.sendRequest(UndoRunRequest.type, { runId });
    assert.equal(undone.undone, true, undone.message);
    assert.equal(await readFile(join(workspace, 'c.txt'), 'utf8'), 'one two\n');
  });

  it('cancels a workflow and the agents it is waiting on within a second', async () => {
    const path = await putWorkflow(workspace, 'hang.js', 'return await parallel([() => agent(null, "never answer"), () => agent(null, "never answer, again")]);');
    const { runId } = await client.host.connection.sendRequest(StartWorkflowRequest.type, params(server, path));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const asked = Date.now();
    assert.deepEqual(await client.host.connection.sendRequest(CancelRunRequest.type, { runId }), { cancelled: true });
    const result = await client.finished(runId);
    assert.equal(result.outcome, 'cancelled');
    assert.ok(Date.now() - asked < 1000, `ended ${Date.now() - asked} ms after the cancel`);
    const agents = [...client.spans.values()].filter((s) => s.operation === 'invoke_agent' && String(s.attributes['keel.run.goal']).startsWith('never answer'));
    assert.deepEqual(agents.map((s) => s.status), ['cancelled', 'cancelled']);
  });

  it('keeps secrets a workflow handles out of its result, its trace and its journal', async () => {
    const script = [
      `const key = "${RAW.openaiKey}";`,
      'console.log("using OPENAI_API_KEY=" + key);',
      'const summary = await agent(null, "summarize a.txt with OPENAI_API_KEY=" + key);',
      'return "done with OPENAI_API_KEY=" + key + " " + summary;',
    ].join('\n');
    const { runId, result } = await run(await putWorkflow(workspace, 'secret.js', script), { input: { token: `OPENAI_API_KEY=${RAW.openaiKey}` } });
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.ok(!result.message.includes(RAW.openaiKey), result.message);
    const traceId = [...client.spans.values()].find((s) => s.attributes['keel.run.id'] === runId)!.traceId;
    assert.ok(!JSON.stringify([...client.spans.values()].filter((s) => s.traceId === traceId)).includes(RAW.openaiKey), 'no span holds it');
    const journals = (await readdir(join(storageDir, 'runs'), { recursive: true })).filter((name) => name.endsWith(`${runId}.jsonl`));
    assert.equal(journals.length, 1);
    assert.ok(!(await readFile(join(storageDir, 'runs', journals[0]!), 'utf8')).includes(RAW.openaiKey), 'the journal does not hold it');
    // The trace store keeps spans and their content (the script's console output) when they end, within 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stored = (await readdir(join(storageDir, 'traces'))).filter((name) => name.startsWith(traceId));
    assert.ok(stored.some((name) => name.endsWith('.content.jsonl')), stored.join());
    for (const name of stored) assert.ok(!(await readFile(join(storageDir, 'traces', name), 'utf8')).includes(RAW.openaiKey), `${name} does not hold it`);
  });

  it('refuses a path outside the workspace or that is not a .js file, naming it', async () => {
    await writeFile(join(storageDir, 'outside.js'), 'return 1;');
    await assert.rejects(client.host.connection.sendRequest(StartWorkflowRequest.type, params(server, '../outside.js')), /outside\.js cannot be read: .*outside the workspace/);
    await assert.rejects(client.host.connection.sendRequest(StartWorkflowRequest.type, params(server, '.keel/workflows/missing.js')), /missing\.js cannot be read/);
    await assert.rejects(client.host.connection.sendRequest(StartWorkflowRequest.type, params(server, 'a.txt')), /path: must name a \.js file/);
    await assert.rejects(client.host.connection.sendRequest(StartWorkflowRequest.type, params(server, '.keel/workflows/two.js', { restricted: true })), /Restricted Mode/);
  });
});

describe('workflows: kill -9 and resume', function () {
  this.timeout(120_000);

  /** Three agents, each running one command that appends to a marker file; every goal carries the script's clock and a random number. */
  const SCRIPT = [
    'const stamp = `t=${Date.now()} r=${Math.random()}`;',
    'const results = [];',
    'for (const word of ["one", "two", "three"]) {',
    '  if (word === "three" && (await ask("Go on to step three?")) !== "yes") return "stopped";',
    '  results.push(await agent(null, `${stamp} step ${word}: call tool run_command with {"command":"echo ${word} >> marker.txt"}`));',
    '}',
    'return `${stamp} | ${Date.now() > 0} | ${Math.random()} | ${results.length}`;',
  ].join('\n');

  for (const killWhen of ['after the second agent finished', 'while the third command waits for approval'] as const) {
    it(`resumes ${killWhen}: finished agents are not run again, the clock and random numbers are the same`, async () => {
      const server = await crashModel(10);
      const workspace = await tempDir();
      const storageDir = await tempDir('keel-workflows-');
      try {
        const path = await putWorkflow(workspace, 'steps.js', SCRIPT);
        let killed!: () => void;
        const kill = new Promise<void>((resolve) => (killed = resolve));
        const first = await hostWith(workspace, storageDir, {
          toolCall: async (_tool, detail) => {
            if (detail.includes('three') && killWhen.startsWith('while')) {
              killed();
              return new Promise<ToolCallDecision>(() => undefined);
            }
            return { decision: 'approved' };
          },
        });
        first.host.connection.onNotification(SpanNotification.type, (span) => {
          if (killWhen.startsWith('after') && span.operation === 'invoke_agent' && span.endTime !== undefined && String(span.attributes['keel.run.goal']).includes('step two')) {
            // The span's end is sent a moment before the agent's answer is journaled: kill just after that.
            setTimeout(killed, 50);
          }
        });
        const { runId } = await first.host.connection.sendRequest(StartWorkflowRequest.type, params(server, path));
        await kill;
        first.host.child.kill('SIGKILL');
        first.host.connection.dispose();
        const marker = async () => (await readFile(join(workspace, 'marker.txt'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
        assert.deepEqual((await marker()).slice(0, 2), ['one', 'two']);
        const stampBefore = /t=\d+ r=[\d.]+/.exec(JSON.stringify(server.requests[0]!.messages))![0];
        const goalsBefore = server.requests.length;

        let asked = 0;
        let questions = 0;
        const second = await hostWith(workspace, storageDir, { toolCall: async () => (asked++, { decision: 'approved' }), ask: () => (questions++, 'yes') });
        const { runs } = await second.host.connection.sendRequest(ListUnfinishedRunsRequest.type, {});
        assert.deepEqual(runs.map((r) => r.runId), [runId]);
        assert.match(runs[0]!.goal, /^Workflow \.keel\/workflows\/steps\.js/);
        await second.host.connection.sendRequest(ResumeRunRequest.type, { runId, models: crashModels(server) });
        const result = await second.finished(runId);
        assert.equal(result.outcome, 'succeeded', result.message);
        assert.deepEqual(await marker(), ['one', 'two', 'three'], 'each command ran once');
        // The third command is asked about again unless it ran before the kill (then the user was asked whether to repeat it).
        if (killWhen.startsWith('while')) {
          assert.equal(asked, 1, 'the open approval was asked again');
          assert.equal(questions, 0, 'the answered question was not asked again');
        }
        else assert.ok(asked <= 1);
        const resumedGoals = server.requests.slice(goalsBefore).map((r) => /step (\w+): call tool/.exec(JSON.stringify(r.messages.filter((m) => m?.role === "user").at(-1)))?.[1]);
        assert.deepEqual([...new Set(resumedGoals)], ['three'], 'the finished agents asked the model nothing');
        assert.ok(result.message.startsWith(`${stampBefore} | true | `), `the same clock and random number: ${result.message} vs ${stampBefore}`);
        const root = [...second.spans.values()].find((s) => s.operation === 'invoke_workflow');
        // Both finished agents, and the question when it was answered before the kill.
        const replayed = root?.attributes['keel.workflow.replayed_calls'];
        if (killWhen.startsWith('while')) assert.equal(replayed, 3);
        else assert.ok(replayed === 2 || replayed === 3, String(replayed));
        assert.equal(await second.host.stop(), 0);
      } finally {
        await server.close();
      }
    });
  }
});

describe('keel workflow (dist/cli.js)', function () {
  this.timeout(30_000);

  it('runs a workflow headless with its input and prints the workflow span with its agent beneath; refuses a file outside the workspace', async () => {
    const server = await crashModel(0);
    const workspace = await tempDir();
    const home = await tempDir('keel-home-');
    try {
      await writeFile(join(workspace, 'greeting.txt'), 'hello world\n');
      const path = await putWorkflow(workspace, 'hello.js', 'return await agent(null, "summarize " + input.file);');
      const cli = (...args: string[]) => runCli([...args, '--workspace', workspace, '--base-url', server.url, '--yes'], { HOME: home });
      const ran = await cli('workflow', path, '--input', '{"file":"greeting.txt"}');
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /^✓ invoke_workflow \.keel\/workflows\/hello\.js \(\d+ ms\)\n {2}✓ invoke_agent keel/m);
      assert.match(ran.stdout, /succeeded: greeting\.txt has 1 lines\./);
      const outside = await cli('workflow', join(home, 'elsewhere.js'));
      assert.equal(outside.code, 2);
      assert.match(outside.stderr, /elsewhere\.js cannot be read: .*outside the workspace/);
      const misuse = await cli('run', 'summarize greeting.txt', '--input', '1');
      assert.equal(misuse.code, 2);
      assert.match(misuse.stderr, /--input is for `keel workflow`/);
    } finally {
      await server.close();
    }
  });
});
