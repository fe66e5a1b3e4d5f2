import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PingRequest, ResumeRunRequest, RunFinishedNotification, RunTranscriptRequest, StartRunRequest, type StartRunParams } from '../../protocol/rpc';
import type { RunResult } from '../../protocol/run';
import { tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

/** A pseudo-translation: visibly not English, and the placeholders kept, as a translator keeps them. */
const PSEUDO: Readonly<Record<string, string>> = {
  'No run {0} is kept here (ended runs are kept for 30 days, at most 100); list them with runs/list.': '[Ŧřàñş] Ńø řüñ {0} ĸëƥţ ħëřë; ŀîşţ ţħëm ŵîţħ runs/list.',
  'The goal is empty. Describe what the agent should do, e.g. "Rename the function foo to bar in src/a.ts".': '[Ŧřàñş] Ţħë ĝøàŀ îş ëmƥţÿ.',
  'The run was refused: {0}.': '[Ŧřàñş] Ţħë řüñ ŵàş řëƒüşëđ: {0}.',
  'Keel protocol version {0} is not supported (this side speaks {1}).': '[Ŧřàñş] Ƥřøţøçøŀ {0} ≠ {1}.',
  'no agent is named {0}; list them with {1} or {2}': '[Ŧřàñş] ñø àĝëñţ {0}; {1}',
};

/** A run whose model nobody answers: it must end before a model is asked, or fail, never hang the test. */
function run(overrides: Partial<StartRunParams> = {}): StartRunParams {
  return {
    goal: 'Rename foo to bar.',
    models: { router: { retries: 0 }, defaultModel: { provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'test-model' }, apiKeys: {} },
    limits: { maxSteps: 2, approvalTimeoutMs: 10_000 },
    ...overrides,
  };
}

/** The message a refused request answers with. */
async function refusal(request: Promise<unknown>): Promise<string> {
  try {
    await request;
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('the request was answered, not refused');
}

/** A host initialized with `bundle` (written to a file of its own) and its own storage; cleaned up after. */
async function hostWith(bundle: string): Promise<{ host: HostProcess; finished: (runId: string) => Promise<RunResult>; dispose: () => Promise<void> }> {
  const dir = await tempDir('keel-l10n-');
  const bundlePath = join(dir, 'bundle.l10n.qps-ploc.json');
  await writeFile(bundlePath, bundle);
  const host = startHost();
  const results = new Map<string, RunResult>();
  const waiting = new Map<string, (result: RunResult) => void>();
  host.connection.onNotification(RunFinishedNotification.type, (result) => {
    results.set(result.runId, result);
    waiting.get(result.runId)?.(result);
  });
  await host.initialize({ storageDir: join(dir, 'storage'), l10nBundle: bundlePath });
  return {
    host,
    finished: (runId) => new Promise((resolve) => (results.has(runId) ? resolve(results.get(runId)!) : waiting.set(runId, resolve))),
    dispose: async () => {
      await host.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('the host speaks the language of the bundle it is given', function () {
  this.timeout(60_000);

  it('answers refusals and ends runs in the translation, and keeps English where the bundle has no entry', async () => {
    const { host, finished, dispose } = await hostWith(JSON.stringify(PSEUDO));
    try {
      const unknown = randomUUID();
      assert.equal(await refusal(host.connection.sendRequest(RunTranscriptRequest.type, { runId: unknown })), `[Ŧřàñş] Ńø řüñ ${unknown} ĸëƥţ ħëřë; ŀîşţ ţħëm ŵîţħ runs/list.`);
      assert.equal(await refusal(host.connection.sendRequest(StartRunRequest.type, run({ goal: '   ' }))), '[Ŧřàñş] Ţħë ĝøàŀ îş ëmƥţÿ.');

      // Refused before any model is asked: the outcome's frame and the reason inside it are each translated.
      const { runId } = await host.connection.sendRequest(StartRunRequest.type, run({ agent: 'nobody' }));
      const result = await finished(runId);
      assert.deepEqual({ outcome: result.outcome, message: result.message }, { outcome: 'failed', message: '[Ŧřàñş] Ţħë řüñ ŵàş řëƒüşëđ: [Ŧřàñş] ñø àĝëñţ nobody; "Keel: Run Agent…".' });

      // A message the bundle does not translate reads as in English.
      assert.equal(await refusal(host.connection.sendRequest(ResumeRunRequest.type, { runId: unknown })), `Run ${unknown} is not an unfinished run; list them with runs/listUnfinished.`);
    } finally {
      await dispose();
    }
  });

  it('refuses a client of another protocol version in the translation: the bundle is loaded before anything is checked', async () => {
    const dir = await tempDir('keel-l10n-');
    const bundlePath = join(dir, 'bundle.l10n.qps-ploc.json');
    await writeFile(bundlePath, JSON.stringify(PSEUDO));
    const host = startHost();
    try {
      assert.match(await refusal(host.initialize({ protocolVersion: 999, l10nBundle: bundlePath })), /^\[Ŧřàñş\] Ƥřøţøçøŀ 999 ≠ 1\. Reinstall Keel/);
    } finally {
      await host.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts with a bundle that is not JSON, answers ping, and speaks English', async () => {
    const { host, finished, dispose } = await hostWith('{ "The run was refused: {0}.": "[Ŧřàñş] Ţħë řüñ ŵàş řëƒüşëđ: {0}.", oops');
    try {
      assert.equal((await host.connection.sendRequest(PingRequest.type, { sentAt: 7 })).sentAt, 7);
      const unknown = randomUUID();
      assert.equal(
        await refusal(host.connection.sendRequest(RunTranscriptRequest.type, { runId: unknown })),
        `No run ${unknown} is kept here (ended runs are kept for 30 days, at most 100); list them with runs/list.`,
      );
      const { runId } = await host.connection.sendRequest(StartRunRequest.type, run({ agent: 'nobody' }));
      assert.equal((await finished(runId)).message, 'The run was refused: no agent is named nobody; list them with "Keel: Run Agent…" or "keel agents".');
    } finally {
      await dispose();
    }
  });
});
