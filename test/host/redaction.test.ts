import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MemoryReindexRequest, RunFinishedNotification, SetMcpServersRequest, SpanNotification, StartRunRequest, TraceSpanContentRequest, type StartRunParams } from '../../protocol/rpc';
import type { ModelConfig } from '../../protocol/models';
import type { RunResult } from '../../protocol/run';
import type { SpanData } from '../../protocol/trace';
import { PROTOCOL_VERSION } from '../../protocol/version';
import { LEAKY_ENV, RAW } from '../fixtures/leakySecrets';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

/** Keys given to the host; shaped like nothing the rules know, so only the host's registry can catch them. */
const RUN_KEY = 'run-key-with-no-known-shape-31';
const SAMPLING_KEY = 'sampling-key-with-no-known-shape-32';

async function allText(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return (await Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'utf8')))).join('\n');
}

function assertNoSecret(text: string, where: string, extra: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries({ ...RAW, ...extra })) assert.ok(!text.includes(value), `${name} is raw in ${where}`);
}

describe('agent host redaction (dist/host.js)', function () {
  this.timeout(30_000);
  let server: ModelServer;
  let host: HostProcess;
  let workspace: string;
  let storageDir: string;
  const spans = new Map<string, SpanData>();
  const logs: string[] = [];
  const results = new Map<string, (result: RunResult) => void>();

  const models = (apiKey: string): ModelConfig => ({ router: { retries: 0 }, defaultModel: { provider: 'openai', baseUrl: `${server.url}/v1`, model: 'test-model', apiKey }, apiKeys: { other: apiKey } });

  async function run(goal: string): Promise<{ result: RunResult; trace: SpanData[] }> {
    const params: StartRunParams = { goal, models: models(RUN_KEY), limits: { maxSteps: 4, approvalTimeoutMs: 5000 } };
    const { runId } = await host.connection.sendRequest(StartRunRequest.type, params);
    const result = await new Promise<RunResult>((resolve) => results.set(runId, resolve));
    const root = [...spans.values()].find((s) => s.attributes['keel.run.id'] === runId)!;
    return { result, trace: [...spans.values()].filter((s) => s.traceId === root.traceId) };
  }

  /** The console output a `sandbox.eval` span kept as content, as the trace viewer asks for it. */
  async function sandboxConsole(trace: readonly SpanData[]): Promise<string> {
    const sandbox = trace.find((s) => s.name === 'sandbox.eval')!;
    assert.ok(sandbox.contentBytes! > 0, 'the span says it has content');
    assert.equal(sandbox.attributes['keel.sandbox.console'], undefined, 'content never travels with span updates');
    const { content } = await host.connection.sendRequest(TraceSpanContentRequest.type, { traceId: sandbox.traceId, spanId: sandbox.spanId });
    assert.match(String(content?.['keel.sandbox.code']), /console\.log/);
    return String(content?.['keel.sandbox.console']);
  }

  before(async () => {
    server = await startModelServer(scriptedAgent);
    workspace = await tempDir('keel-host-redaction-');
    storageDir = await tempDir('keel-host-redaction-store-');
    await writeFile(join(workspace, '.env'), LEAKY_ENV);
    await writeFile(join(workspace, 'notes.txt'), `The run key is ${RUN_KEY} and the sampling key is ${SAMPLING_KEY}.\n`);
    host = startHost();
    host.connection.onNotification(SpanNotification.type, (span) => void spans.set(span.spanId, span));
    host.connection.onNotification(RunFinishedNotification.type, (result) => results.get(result.runId)?.(result));
    host.connection.onNotification('window/logMessage', (message: { message: string }) => void logs.push(message.message));
    await host.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: 'workspace' }],
      capabilities: {},
      initializationOptions: { protocolVersion: PROTOCOL_VERSION, storageDir },
    });
    await host.connection.sendNotification('initialized', {});
    await host.connection.sendRequest(SetMcpServersRequest.type, { servers: [], sampling: models(SAMPLING_KEY) });
  });
  after(async () => {
    await host?.stop();
    await server?.close();
  });

  it('keeps no raw secret in the index it stores, nor a key it was given before indexing', async () => {
    const { indexed } = await host.connection.sendRequest(MemoryReindexRequest.type);
    assert.ok(indexed >= 2);
    assertNoSecret(await allText(storageDir), 'the host storage', { SAMPLING_KEY });
  });

  it('traces a run over a .env without a raw secret: goal, sandbox console, tool spans, episodes', async () => {
    const code = "console.log(await readFile('.env')); return 'read'";
    const { result, trace } = await run(`call tool run_js with {"code": "${code}", "input": "deploy with DB_PASSWORD=${RAW.dbPassword}"}`);
    assert.equal(result.outcome, 'succeeded', result.message);
    const agent = trace.find((s) => s.operation === 'invoke_agent')!;
    assert.match(String(agent.attributes['keel.run.goal']), /DB_PASSWORD=\[REDACTED secret assignment\]/);
    assert.match(await sandboxConsole(trace), /AWS_SECRET_ACCESS_KEY=\[REDACTED secret assignment\]/);
    assertNoSecret(JSON.stringify(trace), 'the spans');
    assertNoSecret(await allText(storageDir), 'the host storage (episodes, traces and their content)');
  });

  it('redacts the keys it was given (startRun and mcp/setServers) from spans and its log', async () => {
    const { result, trace } = await run("call tool run_js with {\"code\": \"console.log(await readFile('notes.txt')); return 'read'\"}");
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.match(await sandboxConsole(trace), /The run key is \[REDACTED known secret\] and the sampling key is \[REDACTED known secret\]/);
    assertNoSecret(JSON.stringify(trace), 'the spans', { RUN_KEY, SAMPLING_KEY });
    assertNoSecret(logs.join('\n'), 'the host log', { RUN_KEY, SAMPLING_KEY });
    const episodes = (await readdir(storageDir, { recursive: true })).filter((path) => path.endsWith('episodes.jsonl'));
    assert.equal(episodes.length, 1);
    assertNoSecret(await readFile(join(storageDir, episodes[0]!), 'utf8'), 'episodes.jsonl', { RUN_KEY, SAMPLING_KEY });
  });
});
