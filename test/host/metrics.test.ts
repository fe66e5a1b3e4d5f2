import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AlertRules, MetricsSnapshot } from '../../protocol/metrics';
import {
  AlertsChangedNotification, AlertsSetRulesRequest, MetricsChangedNotification, MetricsGetRequest, ReadFileRequest, ReviewEditRequest, RunFinishedNotification, StartRunRequest,
  type AlertsChanged,
} from '../../protocol/rpc';
import type { RunResult } from '../../protocol/run';
import { PROTOCOL_VERSION, type HostInitializationOptions } from '../../protocol/version';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { startOtlpReceiver } from '../fixtures/otlpReceiver';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { headlessWorkspace, tempDir } from '../unit/helpers';
import { until } from '../until';
import { startHost, type HostProcess } from './hostProcess';

const RULES: AlertRules = { errorRate: { threshold: 0.4, window: '1h', minRuns: 2 }, costPerDayUsd: null, stuckRunMinutes: 30, p95Latency: null, deadLetters: true };

/** The built host over a workspace and a storage folder that outlive it, as the extension drives it. */
class Session {
  readonly alerts: AlertsChanged[] = [];
  metricsChanged = 0;
  private readonly finished = new Map<string, (result: RunResult) => void>();

  private constructor(readonly host: HostProcess) {}

  static async start(workspace: string, storageDir: string, telemetry?: HostInitializationOptions['telemetry']): Promise<Session> {
    const session = new Session(startHost());
    const { connection } = session.host;
    const files = headlessWorkspace(workspace, { edit: async () => ({ decision: 'approved' }), toolCall: async () => ({ decision: 'approved' }) });
    connection.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await files.readFile(path) }));
    connection.onRequest(ReviewEditRequest.type, (review) => files.reviewEdit(review, new AbortController().signal));
    connection.onNotification(RunFinishedNotification.type, (result) => session.finished.get(result.runId)?.(result));
    connection.onNotification(AlertsChangedNotification.type, (change) => void session.alerts.push(change));
    connection.onNotification(MetricsChangedNotification.type, () => void session.metricsChanged++);
    const initializationOptions: HostInitializationOptions = { protocolVersion: PROTOCOL_VERSION, storageDir, ...(telemetry ? { telemetry } : {}) };
    await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: 'workspace' }], capabilities: {}, initializationOptions });
    await connection.sendNotification('initialized', {});
    return session;
  }

  async run(goal: string, baseUrl: string): Promise<RunResult> {
    let done: (result: RunResult) => void = () => undefined;
    const result = new Promise<RunResult>((resolve) => (done = resolve));
    const { runId } = await this.host.connection.sendRequest(StartRunRequest.type, {
      goal,
      models: { router: { retries: 0 }, defaultModel: { provider: 'ollama', baseUrl, model: 'test-model' }, apiKeys: {} },
      limits: { maxSteps: 8, approvalTimeoutMs: 10_000 },
    });
    this.finished.set(runId, done);
    return result;
  }

  metrics(window: '1h' | '24h' | '7d' = '1h'): Promise<MetricsSnapshot> {
    return this.host.connection.sendRequest(MetricsGetRequest.type, { window });
  }
}

describe('metrics, alerts and the log of the built host', function () {
  this.timeout(30_000);
  let model: ModelServer;
  let workspace: string;
  let storageDir: string;

  before(async () => {
    model = await startModelServer(scriptedAgent);
    workspace = await tempDir();
    storageDir = await tempDir();
    await writeFile(join(workspace, 'greeting.txt'), 'hello world\n');
  });
  after(() => model.close());

  it('measures the runs it made, raises an error-rate alert once, records it, and logs with run ids', async () => {
    const session = await Session.start(workspace, storageDir);
    assert.deepEqual((await session.host.connection.sendRequest(AlertsSetRulesRequest.type, { rules: RULES })).active, []);
    const ok = await session.run('replace "world" with "keel" in greeting.txt', model.url);
    assert.equal(ok.outcome, 'succeeded', ok.message);
    // A model server that is not there: the run fails.
    const failed = await session.run('replace "keel" with "world" in greeting.txt', 'http://127.0.0.1:9');
    assert.equal(failed.outcome, 'failed');

    const snapshot = await session.metrics();
    assert.deepEqual(snapshot.tasks, { finished: 2, succeeded: 1, failed: 1, cancelled: 0, interrupted: 0, running: 0 });
    assert.equal(snapshot.errorRate, 0.5);
    assert.deepEqual(snapshot.byTool.map((row) => row.key).sort(), ['propose_edit', 'read_file']);
    assert.ok(snapshot.byModel.some((row) => row.key === 'test-model' && row.count >= 2 && row.inputTokens > 0), JSON.stringify(snapshot.byModel));
    assert.equal(snapshot.latency.run.count, 2);
    assert.ok(snapshot.latency.modelCall.p95Ms !== null);

    const fired = (rule: string) => session.alerts.flatMap((c) => c.fired).filter((a) => a.rule === rule);
    const [errorRate] = await until('the error-rate alert', () => fired('errorRate').length > 0 && fired('errorRate'));
    assert.match(errorRate!.message, /50% of the runs that finished in the last hour failed \(1 of 2\)/);
    // The failed run is on the dead-letter queue, which its rule watches.
    const [deadLetters] = await until('the dead-letter alert', () => fired('deadLetters').length > 0 && fired('deadLetters'));
    assert.match(deadLetters!.message, /1 failed task waits in the dead-letter queue/);
    await until('a metrics/changed notification', () => session.metricsChanged > 0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual([fired('errorRate').length, fired('deadLetters').length], [1, 1], 'each fired once');
    assert.equal(await session.host.stop(), 0);

    const audit = (await readFile(join(storageDir, 'audit', 'audit.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(audit.filter((r) => r.kind === 'alert').map((r) => `${String(r.state)}:${String(r.rule)}`).sort(), ['fired:deadLetters', 'fired:errorRate']);

    const log = (await readFile(join(storageDir, 'logs', 'host.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const runLines = log.filter((r) => r.runId === failed.runId);
    assert.ok(runLines.some((r) => r.level === 'warn' && r.agent === 'keel' && /run failed/.test(String(r.message))), JSON.stringify(log, null, 1));
    assert.ok(log.some((r) => r.level === 'warn' && /alert fired/.test(String(r.message))));
  });

  it('reads the past runs back after a restart, where the rules are judged afresh', async () => {
    const session = await Session.start(workspace, storageDir);
    const first = await session.metrics('24h');
    assert.equal(first.loadingHistory, true, 'the first answer comes before the store is read');
    await until('the history to be read', () => session.metricsChanged > 0);
    const snapshot = await session.metrics('24h');
    assert.equal(snapshot.loadingHistory, false);
    assert.deepEqual(snapshot.tasks, { finished: 2, succeeded: 1, failed: 1, cancelled: 0, interrupted: 0, running: 0 });
    assert.deepEqual(snapshot.byTool.map((row) => row.key).sort(), ['propose_edit', 'read_file']);
    // A new host starts new episodes: the conditions hold (the queue is read back too), so both alerts are active again.
    const { active } = await session.host.connection.sendRequest(AlertsSetRulesRequest.type, { rules: RULES });
    assert.deepEqual(active.map((a) => a.id).sort(), ['deadLetters', 'errorRate']);
    assert.deepEqual((await session.host.connection.sendRequest(AlertsSetRulesRequest.type, { rules: { ...RULES, errorRate: null, deadLetters: false } })).active, []);
    assert.equal(await session.host.stop(), 0);
  });

  it('sends OpenTelemetry metrics of its runs to the OTLP collector, flushed when it stops', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const session = await Session.start(workspace, await tempDir(), { otlpEndpoint: receiver.url, captureContent: false });
      assert.equal((await session.run('summarize greeting.txt', model.url)).outcome, 'succeeded');
      assert.equal(await session.host.stop(), 0);
      const names = new Set(receiver.metrics.map((m) => m.name));
      for (const name of ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage', 'keel.agent.run.duration', 'keel.tool.call.duration']) assert.ok(names.has(name), `${name} in ${[...names].join(', ')}`);
      const chat = receiver.metrics.find((m) => m.name === 'gen_ai.client.operation.duration')!;
      assert.equal(chat.points.reduce((n, p) => n + (p.count ?? 0), 0), 2, 'two model calls: read the file, then answer');
      assert.equal(chat.points[0]!.attributes['gen_ai.request.model'], 'test-model');
      assert.deepEqual(chat.resource, { 'service.name': 'keel', 'service.version': '0.1.0' });
      assert.equal(receiver.metrics.find((m) => m.name === 'keel.tool.call.duration')!.points[0]!.attributes['gen_ai.tool.name'], 'read_file');
    } finally {
      await receiver.close();
    }
  });
});
