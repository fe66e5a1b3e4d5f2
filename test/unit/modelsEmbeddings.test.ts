import assert from 'node:assert/strict';
import { ModelError, parseRouterSettings, RouterCache } from '../../host/models';
import { openEmbedder } from '../../host/models/embeddings';
import type { ModelConfig } from '../../protocol/models';
import { startModelServer, type ModelServer, type ModelReply } from '../fixtures/modelServer';
import { HashEmbedder } from '../memory/hashEmbedder';

function embedEntry(id: string, provider: 'ollama' | 'openai', baseUrl: string, extra: Record<string, unknown> = {}) {
  return {
    id, provider, baseUrl, model: 'nomic-embed-text', contextWindow: 8192, inputPricePerMTok: 0, outputPricePerMTok: 0,
    capabilities: { tools: false, vision: false, embeddings: true }, roles: ['embed'], local: true, ...extra,
  };
}

describe('embedding models through the real clients', () => {
  let server: ModelServer;
  let reply: ModelReply = { kind: 'message' };
  before(async () => {
    server = await startModelServer(() => reply);
  });
  after(() => server.close());
  beforeEach(() => {
    reply = { kind: 'message' };
    server.requests.length = 0;
  });

  for (const provider of ['ollama', 'openai'] as const) {
    it(`embeds in batches over ${provider}, learning the dimensions from a first call`, async () => {
      const baseUrl = provider === 'openai' ? `${server.url}/v1` : server.url;
      const [entry] = parseRouterSettings({ models: [embedEntry('embed', provider, baseUrl)] }).models;
      const embedder = await openEmbedder(entry!, 'sk-test');
      assert.equal(embedder.dimensions, 256);
      assert.equal(embedder.id, 'embed:nomic-embed-text:256');
      const texts = Array.from({ length: 130 }, (_, i) => `function retry${i}(attempts) { return attempts * ${i}; }`);
      const vectors = await embedder.embed(texts);
      const expected = await new HashEmbedder().embed(texts);
      assert.equal(vectors.length, 130);
      // OpenAI's client asks for base64 float32 and decodes it: equal to float32 precision.
      vectors.forEach((vector, i) => vector.forEach((value, d) => assert.ok(Math.abs(value - expected[i]![d]!) < 1e-6)));
      assert.deepEqual(server.requests.map((r) => r.messages.length), [1, 64, 64, 2]);
      if (provider === 'openai') assert.equal(server.requests[1]!.body.encoding_format, 'base64');
    });

    it(`says what to do when the ${provider} embedding model is missing`, async () => {
      reply = { kind: 'error', status: 404, message: 'model "nomic-embed-text" not found, try pulling it first' };
      const baseUrl = provider === 'openai' ? `${server.url}/v1` : server.url;
      const [entry] = parseRouterSettings({ models: [embedEntry('embed', provider, baseUrl)] }).models;
      await assert.rejects(openEmbedder(entry!, undefined), (error: unknown) => {
        assert.ok(error instanceof ModelError);
        assert.equal(error.kind, 'not_found');
        assert.match(error.message, /nomic-embed-text/);
        return true;
      });
    });
  }

  it('picks the cheapest embed entry, and only local ones for a private workspace', async () => {
    const cache = new RouterCache({ storageDir: () => undefined, log: () => undefined });
    assert.equal(await cache.embedder(), undefined, 'no settings seen yet');
    const config: ModelConfig = {
      router: { models: [embedEntry('cloud', 'openai', `${server.url}/v1`, { local: false }), embedEntry('local', 'ollama', server.url, { inputPricePerMTok: 0.01 })] },
      defaultModel: { provider: 'ollama', baseUrl: server.url, model: 'm' },
      apiKeys: {},
    };
    cache.for(config);
    assert.match((await cache.embedder())!.id, /^cloud:/);
    cache.for({ ...config, localOnly: true });
    assert.match((await cache.embedder())!.id, /^local:/);
    cache.for({ ...config, router: { models: [] } });
    assert.equal(await cache.embedder(), undefined, 'no embed entry: lexical search only');
  });
});
