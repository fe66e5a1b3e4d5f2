import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KeelApi } from '../../../extension/extension';
import type { MetricsSnapshot } from '../../../protocol/metrics';
import { startModelServer, type ModelServer } from '../../fixtures/modelServer';
import { scriptedAgent } from '../../fixtures/scriptedAgent';
import { until } from '../../until';

const alerts = () => vscode.workspace.getConfiguration('keel.alerts');

describe('Metrics and alerts inside VS Code', function () {
  this.timeout(60_000);
  let api: KeelApi;
  let server: ModelServer;

  before(async () => {
    server = await startModelServer(scriptedAgent);
    await vscode.workspace.getConfiguration('keel').update('ollama.baseUrl', server.url, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('keel').update('agent.maxSteps', 2, vscode.ConfigurationTarget.Global);
    api = await vscode.extensions.getExtension<KeelApi>('keel-dev.keel')!.activate();
  });
  after(async () => {
    await alerts().update('errorRate', undefined, vscode.ConfigurationTarget.Global);
    await alerts().update('costPerDayUsd', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('keel').update('agent.maxSteps', undefined, vscode.ConfigurationTarget.Global);
    await server.close();
  });

  it('counts the runs of this window, and follows the alert settings as they change', async () => {
    const before = await snapshot();
    const ok = await api.runTask('summarize greeting.txt');
    assert.equal((await ok.done).outcome, 'succeeded');
    // Reads a file over and over until the step limit fails the run.
    const failed = await api.runTask('loop forever');
    assert.equal((await failed.done).outcome, 'failed');
    const after = await until('the runs in the metrics', async () => {
      const now = await snapshot();
      return now.tasks.finished >= before.tasks.finished + 2 && now;
    });
    assert.ok(after.byTool.some((row) => row.key === 'read_file'));
    assert.ok(after.latency.modelCall.count > before.latency.modelCall.count);
    assert.ok(after.errorRate! > 0);

    // Any failure at all: the rule fires as soon as the host has the new setting.
    await alerts().update('errorRate', { threshold: 0, window: '1h', minRuns: 1 }, vscode.ConfigurationTarget.Global);
    await until('the error-rate alert', () => api.alerts().some((a) => a.rule === 'errorRate'));
    // A setting that does not parse turns off only its own rule.
    await alerts().update('costPerDayUsd', 'lots', vscode.ConfigurationTarget.Global);
    await alerts().update('errorRate', null, vscode.ConfigurationTarget.Global);
    await until('the alert to clear', () => !api.alerts().some((a) => a.rule === 'errorRate'));
  });

  async function snapshot(): Promise<MetricsSnapshot> {
    const message = await api.metrics('1h');
    assert.equal(message.type, 'snapshot', message.type === 'unavailable' ? message.message : '');
    return (message as { snapshot: MetricsSnapshot }).snapshot;
  }
});
