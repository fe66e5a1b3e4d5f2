import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { RouterCache } from '../../host/models';
import type { ModelConfig } from '../../protocol/models';
import { startModelServer, type ModelReply, type ModelServer } from '../fixtures/modelServer';

function config(defaultModel: ModelConfig['defaultModel'], models: unknown[] = []): ModelConfig {
  return { router: { models }, defaultModel, apiKeys: {} };
}

describe('model check (model/check)', () => {
  let reply: ModelReply;
  let server: ModelServer;
  const cache = new RouterCache({ storageDir: () => undefined, log: () => {} });
  before(async () => {
    server = await startModelServer(() => reply);
  });
  after(() => server.close());

  it('reports a model that answers, with the question asked once and no tools', async () => {
    reply = { kind: 'message', content: 'ready' };
    const before = server.requests.length;
    const result = await cache.check(config({ provider: 'ollama', baseUrl: server.url, model: 'qwen2.5-coder:7b' }));
    assert.equal(result.answers, true);
    assert.equal(result.modelId, 'ollama/qwen2.5-coder:7b');
    assert.equal(result.error, undefined);
    assert.equal(server.requests.length - before, 1);
    assert.deepEqual(server.requests.at(-1)!.tools ?? [], []);
  });

  it('checks the catalogue\'s first model for the act step, not the simple setting', async () => {
    reply = { kind: 'message', content: 'ready' };
    const entry = { id: 'fast', provider: 'openai', baseUrl: `${server.url}/v1`, model: 'gpt-fast', contextWindow: 8000, inputPricePerMTok: 0, outputPricePerMTok: 0, capabilities: { tools: true, vision: false, embeddings: false }, roles: ['act'], local: true };
    const result = await cache.check(config({ provider: 'ollama', baseUrl: 'http://127.0.0.1:9', model: 'unused' }, [entry]));
    assert.equal(result.modelId, 'fast');
    assert.equal(result.answers, true);
    assert.equal(server.requests.at(-1)!.model, 'gpt-fast');
  });

  it('says at once, in one attempt, that nothing listens', async () => {
    const started = Date.now();
    const result = await cache.check(config({ provider: 'ollama', baseUrl: 'http://127.0.0.1:9', model: 'qwen2.5-coder:7b' }));
    assert.equal(result.answers, false);
    assert.equal(result.error?.kind, 'unreachable');
    assert.match(result.error!.message, /Could not reach Ollama at http:\/\/127\.0\.0\.1:9\. Start Ollama/);
    assert.ok(Date.now() - started < 5000, 'no retries, no backoff');
  });

  it('names a missing model and a rejected key', async () => {
    reply = { kind: 'error', status: 404, message: 'model "nope" not found' };
    assert.equal((await cache.check(config({ provider: 'ollama', baseUrl: server.url, model: 'nope' }))).error?.kind, 'not_found');
    reply = { kind: 'error', status: 401, message: 'bad key' };
    const result = await cache.check(config({ provider: 'openai', baseUrl: `${server.url}/v1`, model: 'gpt-4o-mini', apiKey: 'sk-wrong' }));
    assert.equal(result.error?.kind, 'auth');
    assert.match(result.error!.message, /Keel: Set OpenAI API Key/);
  });

  it('gives up on a model that never answers after its timeout, without throwing', async () => {
    reply = { kind: 'hang' };
    const result = await cache.check(config({ provider: 'ollama', baseUrl: server.url, model: 'slow' }), 300);
    assert.equal(result.answers, false);
    assert.equal(result.error?.kind, 'timeout');
    assert.match(result.error!.message, /did not answer within/);
  });

  it('retries a connection that broke, but not one that was refused', async () => {
    // A server that accepts and drops every connection: a reset, which the router may try again.
    const dropper: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    const port = (dropper.address() as { port: number }).port;
    try {
      const result = await cache.check(config({ provider: 'ollama', baseUrl: `http://127.0.0.1:${port}`, model: 'm' }));
      assert.equal(result.answers, false);
      assert.notEqual(result.error?.kind, 'unreachable', result.error?.message);
    } finally {
      dropper.close();
    }
  });
});
