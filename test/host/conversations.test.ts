import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ContinueRunRequest, DeleteFileRequest, ListRunsRequest, ListUnfinishedRunsRequest, ResumeRunRequest, RunsChangedNotification, RunTranscriptRequest, SteerRunRequest, UndoRunRequest,
  WriteFileRequest, type RunState,
} from '../../protocol/rpc';
import { FsWorkspace } from '../../host/workspace/fsWorkspace';
import { HostileHost } from '../adversarial/hostileHost';
import { RAW } from '../fixtures/leakySecrets';
import { startModelServer, type ModelReply, type ModelRequestRecord, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { tempDir } from '../unit/helpers';

const NO_RUN = '0b5f3f1e-8a57-4c4e-9d7e-5a8f2b6c1d00';

/** The text of the newest user message, whatever wraps it: the goal, a follow-up or a steering message. */
function lastUserText(request: ModelRequestRecord): string {
  const text = (content: unknown) => (typeof content === 'string' ? content : Array.isArray(content) ? content.map((part) => String(part?.text ?? '')).join('') : '');
  return text(request.messages.filter((m) => m.role === 'user').at(-1)?.content);
}

describe('runs are conversations: continue, steer, transcript, undo', function () {
  this.timeout(60_000);
  let server: ModelServer;
  /** While set, a model call for "wait for me" never answers (the test kills the host meanwhile). */
  let hang = false;
  let workspace: string;
  let host: HostileHost;
  let changes: { runId: string; state: RunState }[];

  before(async () => {
    server = await startModelServer((request, index): ModelReply | Promise<ModelReply> => {
      const last = lastUserText(request);
      const said = /say "(.*?)"/.exec(last);
      if (said) return { kind: 'message', content: `You said: ${said[1]}` };
      if (last.includes('repeat your last answer')) {
        const previous = request.messages.filter((m) => m.role === 'assistant' && typeof m.content === 'string' && m.content).at(-1);
        return { kind: 'message', content: `Before I said: ${previous?.content ?? 'nothing'}` };
      }
      if (last.includes('wait for me')) return hang ? { kind: 'hang' } : { kind: 'message', content: 'Finished waiting.' };
      if (last.startsWith('two steps')) {
        if (!request.messages.some((m) => m.role === 'tool')) return { kind: 'message', content: '', toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] };
        return hang ? { kind: 'hang' } : { kind: 'message', content: 'Two steps done.' };
      }
      if (last.startsWith('narrate ')) {
        // Words between tool calls, one of them a secret the transcript must not show.
        if (!request.messages.some((m) => m.role === 'tool')) return { kind: 'message', content: `Reading notes.txt first; the key is ${RAW.openaiKey}.`, toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] };
        return { kind: 'message', content: 'notes.txt has three lines.' };
      }
      if (last.startsWith('slow plan ')) {
        const reply = scriptedAgent({ ...request, messages: request.messages.map((m) => (m.role === 'user' && typeof m.content === 'string' ? { ...m, content: m.content.replace('slow plan ', 'follow plan ') } : m)) }, index);
        return Promise.resolve(reply).then((r) => (r.kind === 'message' ? { ...r, delayMs: 300 } : r));
      }
      return scriptedAgent(request, index);
    });
  });
  after(() => server.close());
  beforeEach(async () => {
    hang = false;
    workspace = await tempDir();
    await writeFile(join(workspace, 'greeting.txt'), 'hello world\n');
    await writeFile(join(workspace, 'notes.txt'), 'one\ntwo\nthree\n');
    host = await start(workspace);
  });
  afterEach(async () => {
    if (host.child.exitCode === null && host.child.signalCode === null) assert.equal(await host.stop(), 0);
  });

  /** The host over RPC with writes and deletes served from the workspace on disk, as the extension would. */
  async function start(folder: string, storageDir?: string): Promise<HostileHost> {
    const started = await HostileHost.start(folder, server.url, storageDir ? { storageDir } : {});
    const files = new FsWorkspace(folder);
    started.connection.onRequest(WriteFileRequest.type, ({ path, content }) => files.writeFile(path, content));
    started.connection.onRequest(DeleteFileRequest.type, ({ path }) => files.deleteFile(path));
    started.decideEdit = () => ({ decision: 'approved' });
    started.decideTool = () => ({ decision: 'approved' });
    changes = [];
    started.connection.onNotification(RunsChangedNotification.type, (change) => {
      changes.push(change);
    });
    return started;
  }

  async function list() {
    return (await host.connection.sendRequest(ListRunsRequest.type, {})).runs;
  }

  it('continues an ended run under its id and trace, the model seeing the conversation so far', async () => {
    const first = await host.run('replace "hello" with "hi" in greeting.txt');
    assert.equal(first.outcome, 'succeeded', first.message);
    const traceOf = () => [...host.spans.values()].filter((s) => s.attributes['keel.run.id'] === first.runId && s.parentSpanId === undefined).map((s) => s.traceId);
    const asked = server.requests.length;
    const { runId } = await host.connection.sendRequest(ContinueRunRequest.type, { runId: first.runId, message: 'repeat your last answer', models: host.models() });
    assert.equal(runId, first.runId);
    const ended = await waitFor(async () => (await list()).find((r) => r.runId === runId && r.state === 'succeeded' && r.steps === 4));
    assert.ok(ended, 'the run is listed as succeeded with both parts\' steps');
    const request = server.requests.slice(asked).at(-1)!;
    const said = JSON.stringify(request.messages);
    assert.ok(said.includes('replace \\"hello\\" with \\"hi\\" in greeting.txt'), 'the model sees the original goal');
    assert.ok(said.includes('applied to greeting.txt'), 'and the tool results before');
    assert.match(ended.message ?? '', /^Before I said: Done: .*applied to greeting\.txt/);
    assert.equal(new Set(traceOf()).size, 1, 'one trace for both parts');
    const { messages } = await host.connection.sendRequest(RunTranscriptRequest.type, { runId });
    assert.deepEqual(messages.filter((m) => m.role === 'user').map((m) => [m.kind, m.text]), [['goal', 'replace "hello" with "hi" in greeting.txt'], ['continue', 'repeat your last answer']]);
    assert.ok([...host.spans.values()].some((s) => s.name === 'user_message continue'), 'the follow-up is in the trace');
  });

  it('steers a running run: the agent reads the message at its next step, once, and it is in the transcript and trace', async () => {
    const plan = JSON.stringify([{ tool: 'read_file', args: { path: 'notes.txt' } }, { tool: 'read_file', args: { path: 'greeting.txt' } }, { tool: 'list_files', args: {} }]);
    const runId = await host.start(`slow plan ${plan}`);
    await waitFor(async () => server.requests.some((r) => JSON.stringify(r.messages).includes('slow plan')) || undefined);
    assert.deepEqual(await host.connection.sendRequest(SteerRunRequest.type, { runId, message: 'say "purple"' }), { accepted: true });
    const result = await host.finished(runId);
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.equal(result.message, 'You said: purple');
    const steered = server.requests.filter((r) => JSON.stringify(r.messages).includes('say \\"purple\\"'));
    assert.equal(steered.length, 1, 'the steering message reached the model once, and the run then ended');
    const { messages } = await host.connection.sendRequest(RunTranscriptRequest.type, { runId });
    assert.deepEqual(messages.filter((m) => m.role === 'user').map((m) => m.role === 'user' && m.kind), ['goal', 'steer']);
    assert.ok([...host.spans.values()].some((s) => s.name === 'user_message steer'));
    assert.deepEqual(await host.connection.sendRequest(SteerRunRequest.type, { runId, message: 'too late' }), { accepted: false });
  });

  it('serves the transcript with the model\'s words between tool calls, a planted secret redacted', async () => {
    const result = await host.run('narrate notes.txt');
    assert.equal(result.outcome, 'succeeded', result.message);
    const { messages } = await host.connection.sendRequest(RunTranscriptRequest.type, { runId: result.runId });
    assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant']);
    const [, words, tool, answer] = messages;
    assert.ok(words?.role === 'assistant' && words.text.startsWith('Reading notes.txt first; the key is ') && words.agent === 'keel');
    assert.ok(!JSON.stringify(messages).includes(RAW.openaiKey), 'the secret is redacted');
    assert.deepEqual(tool?.role === 'tool' && [tool.tool, tool.summary, tool.ok], ['read_file', 'notes.txt', true]);
    assert.ok(answer?.role === 'assistant' && answer.text === 'notes.txt has three lines.');
  });

  it('undoes a run: edited files get their text back, created files go, each audited; a second undo has nothing left', async () => {
    const plan = JSON.stringify([
      { tool: 'create_file', args: { path: 'src/new.txt', content: 'new\n' } },
      { tool: 'propose_edit', args: { path: 'greeting.txt', old_text: 'hello', new_text: 'hi' } },
      { tool: 'propose_edit', args: { path: 'greeting.txt', old_text: 'world', new_text: 'there' } },
    ]);
    const result = await host.run(`follow plan ${plan}`);
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hi there\n');
    const listed = (await list()).find((r) => r.runId === result.runId);
    assert.equal(listed?.filesChanged, 2);
    assert.deepEqual([...(listed?.changedFiles ?? [])].sort(), ['greeting.txt', 'src/new.txt']);
    const undone = await host.connection.sendRequest(UndoRunRequest.type, { runId: result.runId });
    assert.equal(undone.undone, true, undone.message);
    assert.deepEqual(undone.files.sort(), ['greeting.txt', 'src/new.txt']);
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hello world\n');
    assert.deepEqual(await readdir(join(workspace, 'src')), []);
    const audit = await readFile(join(host.storageDir, 'audit', 'audit.jsonl'), 'utf8');
    const reverts = audit.split('\n').filter((line) => line.includes('"file_change"') && line.includes(result.runId)).map((line) => JSON.parse(line) as { path: string; after: string | null });
    assert.deepEqual(reverts.slice(-2).map((r) => [r.path, r.after === null]).sort(), [['greeting.txt', false], ['src/new.txt', true]]);
    assert.equal((await list()).find((r) => r.runId === result.runId)?.filesChanged, 0);
    const again = await host.connection.sendRequest(UndoRunRequest.type, { runId: result.runId });
    assert.equal(again.undone, false);
    assert.match(again.message, /no file changes to undo/);
  });

  it('refuses to undo when a file changed since the run, naming it, and reverts nothing', async () => {
    const plan = JSON.stringify([
      { tool: 'create_file', args: { path: 'made.txt', content: 'made\n' } },
      { tool: 'propose_edit', args: { path: 'greeting.txt', old_text: 'hello', new_text: 'hi' } },
    ]);
    const result = await host.run(`follow plan ${plan}`);
    assert.equal(result.outcome, 'succeeded', result.message);
    await writeFile(join(workspace, 'greeting.txt'), 'hi world, and my own line\n');
    const refused = await host.connection.sendRequest(UndoRunRequest.type, { runId: result.runId });
    assert.equal(refused.undone, false);
    assert.deepEqual(refused.files, ['greeting.txt']);
    assert.match(refused.message, /^Nothing was undone: greeting\.txt changed since the run/);
    assert.equal(await readFile(join(workspace, 'made.txt'), 'utf8'), 'made\n', 'the created file stays');
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hi world, and my own line\n');
  });

  it('answers bad ids and huge or empty messages with clear errors, and stays up', async () => {
    const models = host.models();
    await assert.rejects(host.connection.sendRequest(ContinueRunRequest.type, { runId: NO_RUN, message: 'go on', models }), /no ended journal to continue/);
    await assert.rejects(host.connection.sendRequest(ContinueRunRequest.type, { runId: '../../etc/passwd', message: 'go on' }), /is not a run id/);
    await assert.rejects(host.connection.sendRequest(ContinueRunRequest.type, { runId: NO_RUN, message: 'x'.repeat(20_001) }), /message/);
    await assert.rejects(host.connection.sendRequest(ContinueRunRequest.type, { runId: NO_RUN, message: '   ' }), /follow-up is empty/);
    assert.deepEqual(await host.connection.sendRequest(SteerRunRequest.type, { runId: NO_RUN, message: 'hello' }), { accepted: false });
    await assert.rejects(host.connection.sendRequest(SteerRunRequest.type, { runId: NO_RUN, message: 'x'.repeat(1_000_000) }), /message/);
    await assert.rejects(host.connection.sendRequest(UndoRunRequest.type, { runId: NO_RUN }), /No run .* is kept here/);
    await assert.rejects(host.connection.sendRequest(RunTranscriptRequest.type, { runId: NO_RUN }), /No run .* is kept here/);
    await assert.rejects(host.connection.sendRequest(ListRunsRequest.type, { limit: 10_000 }), /limit/);
    // A running run is neither continued nor undone.
    hang = true;
    const runId = await host.start('wait for me');
    await waitFor(async () => (await list()).find((r) => r.runId === runId && r.state === 'running'));
    await assert.rejects(host.connection.sendRequest(ContinueRunRequest.type, { runId, message: 'go on' }), /still running/);
    await assert.rejects(host.connection.sendRequest(UndoRunRequest.type, { runId }), /still running/);
    await host.cancel(runId);
    assert.equal((await host.finished(runId)).outcome, 'cancelled');
    assert.ok((await host.ping()) >= 0);
  });

  it('resumes a continuation the host was killed in, with the conversation before it', async () => {
    const first = await host.run('replace "hello" with "hi" in greeting.txt');
    assert.equal(first.outcome, 'succeeded', first.message);
    hang = true;
    const asked = server.requests.length;
    await host.connection.sendRequest(ContinueRunRequest.type, { runId: first.runId, message: 'wait for me', models: host.models() });
    await waitFor(async () => server.requests.length > asked || undefined);
    host.child.kill('SIGKILL');
    await new Promise((resolve) => host.child.once('exit', resolve));

    hang = false;
    host = await start(workspace, host.storageDir);
    const { runs } = await host.connection.sendRequest(ListUnfinishedRunsRequest.type, {});
    assert.deepEqual(runs.map((r) => r.runId), [first.runId]);
    assert.equal((await list()).find((r) => r.runId === first.runId)?.state, 'interrupted');
    const resumedAt = server.requests.length;
    await host.connection.sendRequest(ResumeRunRequest.type, { runId: first.runId, models: host.models() });
    const result = await host.finished(first.runId);
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.equal(result.message, 'Finished waiting.');
    const said = JSON.stringify(server.requests.slice(resumedAt).at(-1)!.messages);
    assert.ok(said.includes('applied to greeting.txt') && said.includes('wait for me'), 'the resumed continuation has the conversation before it');
    assert.equal(server.requests.length - resumedAt, 1, 'the first part was not asked again');
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hi world\n');
    // runs/changed follows run/finished.
    await waitFor(async () => changes.some((c) => c.state === 'succeeded') || undefined);
    assert.deepEqual(changes.map((c) => c.state), ['running', 'succeeded']);
  });

  it('reads a steering message sent just before a kill -9 once, after the resume', async () => {
    hang = true;
    const runId = await host.start('two steps');
    await waitFor(async () => server.requests.filter((r) => lastUserText(r) === 'two steps').length === 2 || undefined);
    assert.deepEqual(await host.connection.sendRequest(SteerRunRequest.type, { runId, message: 'say "purple"' }), { accepted: true });
    host.child.kill('SIGKILL');
    await new Promise((resolve) => host.child.once('exit', resolve));

    hang = false;
    host = await start(workspace, host.storageDir);
    const resumedAt = server.requests.length;
    await host.connection.sendRequest(ResumeRunRequest.type, { runId, models: host.models() });
    const result = await host.finished(runId);
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.equal(result.message, 'You said: purple');
    const asked = server.requests.slice(resumedAt);
    assert.equal(asked.length, 1, 'step 1 replayed; the message read after it, before step 2 is asked again');
    assert.equal(asked.filter((r) => JSON.stringify(r.messages).includes('say \\"purple\\"')).length, 1);
    const { messages } = await host.connection.sendRequest(RunTranscriptRequest.type, { runId });
    assert.deepEqual(messages.filter((m) => m.role === 'user').map((m) => m.role === 'user' && m.kind), ['goal', 'steer']);
  });

  it('lists a run another window\'s host held once that host is gone, as after a window reload', async () => {
    hang = true;
    const runId = await host.start('wait for me');
    await waitFor(async () => server.requests.some((r) => lastUserText(r) === 'wait for me') || undefined);
    // A second window's host over the same storage while the first still works on the run: not its run to list.
    const first = host;
    host = await start(workspace, first.storageDir);
    assert.equal((await list()).some((r) => r.runId === runId), false);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    // Within a few seconds the second host says so, and lists the run to resume.
    await waitFor(async () => changes.find((c) => c.runId === runId && c.state === 'interrupted'), 10_000);
    assert.equal((await list()).find((r) => r.runId === runId)?.state, 'interrupted');
  });

  it('lists runs newest first with their state, and says when one waits on the user', async () => {
    const done = await host.run('summarize notes.txt');
    const failed = await host.run('rate limited');
    assert.equal(failed.outcome, 'failed');
    const result = await host.run('replace "hello" with "hi" in greeting.txt');
    assert.equal(result.outcome, 'succeeded', result.message);
    const runs = await list();
    assert.deepEqual(runs.map((r) => [r.runId, r.state]), [[result.runId, 'succeeded'], [failed.runId, 'failed'], [done.runId, 'succeeded']]);
    assert.equal(runs[0]!.goal, 'replace "hello" with "hi" in greeting.txt');
    assert.equal(runs[0]!.filesChanged, 1);
    assert.match(runs[1]!.message ?? '', /429|[Rr]ate limit/);
    // The review of the edit is a question to the user: the run waits while it is open.
    await waitFor(async () => changes.some((c) => c.runId === result.runId && c.state === 'succeeded') || undefined);
    assert.deepEqual(changes.filter((c) => c.runId === result.runId).map((c) => c.state), ['running', 'waiting', 'running', 'succeeded']);
    assert.deepEqual((await host.connection.sendRequest(ListRunsRequest.type, { limit: 1 })).runs.map((r) => r.runId), [result.runId]);
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
