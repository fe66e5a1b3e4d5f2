import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ReadFileRequest, ReviewEditRequest, RunFinishedNotification, StartRunRequest, TraceGetRequest, TraceListRunsRequest, TraceSearchRequest, TraceSpanContentRequest,
} from '../../protocol/rpc';
import type { RunResult } from '../../protocol/run';
import type { ChatContentMessage, ChatContentPart } from '../../protocol/trace';
import { PROTOCOL_VERSION, type HostInitializationOptions } from '../../protocol/version';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { headlessWorkspace, tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

const GOAL = 'replace "world" with "keel" in greeting.txt';

/** A built host over `workspace` keeping its traces in `storageDir`, with the retention the extension would send. */
async function hostOn(workspace: string, storageDir: string): Promise<{ host: HostProcess; finished: Promise<RunResult> }> {
  const host = startHost();
  const files = headlessWorkspace(workspace, { edit: async () => ({ decision: 'approved' }), toolCall: async () => ({ decision: 'approved' }) });
  host.connection.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await files.readFile(path) }));
  host.connection.onRequest(ReviewEditRequest.type, (review) => files.reviewEdit(review, new AbortController().signal));
  const finished = new Promise<RunResult>((resolve) => host.connection.onNotification(RunFinishedNotification.type, resolve));
  const initializationOptions: HostInitializationOptions = { protocolVersion: PROTOCOL_VERSION, storageDir, traces: { maxSizeMb: 50, maxAgeDays: 7 } };
  await host.connection.sendRequest('initialize', { processId: process.pid, rootUri: null, workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: 'w' }], capabilities: {}, initializationOptions });
  await host.connection.sendNotification('initialized', {});
  return { host, finished };
}

describe('trace history over JSON-RPC (dist/host.js)', function () {
  this.timeout(30_000);
  let model: ModelServer;

  before(async () => {
    model = await startModelServer(scriptedAgent);
  });
  after(() => model.close());

  it('lists a run with its models, serves each span\'s content, searches it, and keeps it all across a host restart', async () => {
    const workspace = await tempDir();
    const storageDir = await tempDir();
    await writeFile(join(workspace, 'greeting.txt'), 'hello world\n');
    const first = await hostOn(workspace, storageDir);
    await first.host.connection.sendRequest(StartRunRequest.type, {
      goal: GOAL,
      models: { router: { retries: 0 }, defaultModel: { provider: 'ollama', baseUrl: model.url, model: 'test-model' }, apiKeys: {} },
      limits: { maxSteps: 8, approvalTimeoutMs: 10_000 },
    });
    assert.equal((await first.finished).outcome, 'succeeded');
    await first.host.stop();

    const { host } = await hostOn(workspace, storageDir);
    try {
      const { runs } = await host.connection.sendRequest(TraceListRunsRequest.type, {});
      assert.equal(runs.length, 1);
      const [run] = runs;
      assert.equal(run!.goal, GOAL);
      assert.ok(run!.models?.includes('test-model'), `models: ${JSON.stringify(run!.models)}`);
      assert.deepEqual((await host.connection.sendRequest(TraceListRunsRequest.type, { model: 'test-model' })).runs.map((r) => r.traceId), [run!.traceId]);
      assert.deepEqual((await host.connection.sendRequest(TraceListRunsRequest.type, { model: 'another-model' })).runs, []);

      const { spans } = await host.connection.sendRequest(TraceGetRequest.type, { traceId: run!.traceId });
      const chats = spans.filter((s) => s.operation === 'chat');
      assert.ok(chats.length >= 3 && chats.every((s) => s.contentBytes! > 0), 'every model call kept content');
      const get = (spanId: string) => host.connection.sendRequest(TraceSpanContentRequest.type, { traceId: run!.traceId, spanId });
      const last = (await get(chats.at(-1)!.spanId)).content!;
      const input = last['gen_ai.input.messages'] as ChatContentMessage[];
      // Recalled memory, when there is any, comes as a user message before the goal.
      assert.deepEqual(input.slice(-5).map((m) => m.role), ['user', 'assistant', 'tool', 'assistant', 'tool']);
      assert.equal((input.at(-5)!.parts[0] as ChatContentPart & { type: 'text' }).content, GOAL);
      assert.equal((last['gen_ai.output.messages'] as ChatContentMessage[])[0]!.finish_reason, 'stop');
      const edit = spans.find((s) => s.name === 'execute_tool propose_edit')!;
      const editContent = (await get(edit.spanId)).content!;
      assert.deepEqual(editContent['gen_ai.tool.call.arguments'], { path: 'greeting.txt', old_text: 'world', new_text: 'keel' });
      const approval = spans.find((s) => s.operation === 'approval')!;
      assert.match(JSON.stringify((await get(approval.spanId)).content), /"keel.approval.answer":\{"decision":"approved","decided_by":"user"\}/);
      assert.equal((await get('0123456789abcdef')).content, null, 'a span id the trace does not hold');

      // "hello world" is only in content: the read_file result and the conversations after it.
      const { hits } = await host.connection.sendRequest(TraceSearchRequest.type, { text: 'HELLO WORLD' });
      assert.ok(hits.some((h) => h.name === 'execute_tool read_file' && /hello world/.test(h.snippet)), JSON.stringify(hits));
    } finally {
      await host.stop();
    }
  });
});
