/** What the clients hand the router: failures it can act on, stable tool-call ids, and usage it can bill. */
import assert from 'node:assert/strict';
import { connectModel, ModelError, type ChatMessage } from '../../host/models';
import { completeUsage } from '../../host/models/tokens';
import { startModelServer, type ModelReply, type ModelServer } from '../fixtures/modelServer';

const messages: ChatMessage[] = [{ role: 'user', content: 'hello' }];
const signal = new AbortController().signal;

async function failure(server: ModelServer, provider: 'ollama' | 'openai'): Promise<ModelError> {
  const model = connectModel({ provider, baseUrl: provider === 'openai' ? `${server.url}/v1` : server.url, model: 'm' });
  try {
    await model.chat({ messages, tools: [] }, signal);
  } catch (error) {
    assert.ok(error instanceof ModelError, String(error));
    return error;
  }
  assert.fail('expected the call to fail');
}

async function serving<T>(reply: ModelReply, work: (server: ModelServer) => Promise<T>): Promise<T> {
  const server = await startModelServer(() => reply);
  try {
    return await work(server);
  } finally {
    await server.close();
  }
}

for (const provider of ['ollama', 'openai'] as const) {
  describe(`${provider} failures the router can act on`, () => {
    it('marks a stream that broke off mid-answer as torn, not as a bad server', async () => {
      const error = await serving({ kind: 'tornStream', content: 'This answer will be cut off somewhere in the middle.' }, (s) => failure(s, provider));
      assert.equal(error.kind, 'torn_stream');
      assert.match(error.message, /broke off mid-stream/);
    });

    it('tells a body in the wrong format apart from a torn stream', async () => {
      const error = await serving({ kind: 'raw', status: 200, contentType: 'text/html', body: '<html>login</html>' }, (s) => failure(s, provider));
      assert.equal(error.kind, 'bad_response');
      assert.match(error.message, provider === 'ollama' ? /points at an Ollama server/ : /points at an OpenAI-compatible server/);
    });

    it('recognises a context-length error', async () => {
      const error = await serving({ kind: 'error', status: 400, message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens." }, (s) => failure(s, provider));
      assert.equal(error.kind, 'context_overflow');
      assert.match(error.message, /Use a model with a larger context window/);
      assert.doesNotMatch(error.message, /HTTP 400: 400/, 'the status is named once');
    });

    it('refuses other 4xx as the request\'s fault, not the server\'s', async () => {
      const error = await serving({ kind: 'error', status: 400, message: 'registry.ollama.ai/library/gemma:2b does not support tools' }, (s) => failure(s, provider));
      assert.equal(error.kind, 'bad_request');
      assert.equal(error.status, 400);
    });

    it('keeps 408 and 5xx as server errors worth retrying', async () => {
      for (const status of [408, 503]) {
        const error = await serving({ kind: 'error', status }, (s) => failure(s, provider));
        assert.equal(error.kind, 'server', `HTTP ${status}`);
      }
    });
  });
}

describe('tool-call ids and usage', () => {
  it('gives Ollama tool calls ids from the turn and index, the same for the same conversation', async () => {
    const reply: ModelReply = { kind: 'message', toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }, { name: 'read_file', arguments: { path: 'b.ts' } }] };
    await serving(reply, async (server) => {
      const model = connectModel({ provider: 'ollama', baseUrl: server.url, model: 'm' });
      const first = await model.chat({ messages, tools: [] }, signal);
      assert.deepEqual(first.toolCalls.map((c) => c.id), ['call_0_0', 'call_0_1']);
      const replay = await model.chat({ messages, tools: [] }, signal);
      assert.deepEqual(replay.toolCalls.map((c) => c.id), ['call_0_0', 'call_0_1']);
      const next = await model.chat({ messages: [...messages, { role: 'assistant', content: '', toolCalls: first.toolCalls }], tools: [] }, signal);
      assert.deepEqual(next.toolCalls.map((c) => c.id), ['call_1_0', 'call_1_1']);
    });
  });

  it('assigns ids the same way when an OpenAI-compatible server sends none', async () => {
    const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const body = chunk({ role: 'assistant', tool_calls: [{ index: 0, type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } }] }) + chunk({}, 'tool_calls') + 'data: [DONE]\n\n';
    await serving({ kind: 'raw', status: 200, contentType: 'text/event-stream', body }, async (server) => {
      const response = await connectModel({ provider: 'openai', baseUrl: `${server.url}/v1`, model: 'm' }).chat({ messages, tools: [] }, signal);
      assert.deepEqual(response.toolCalls, [{ id: 'call_0_0', name: 'read_file', arguments: { path: 'a.ts' } }]);
    });
  });

  it('treats an OpenAI stream that ends without a finish reason as torn', async () => {
    const body = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'half an ans' }, finish_reason: null }] })}\n\n`;
    const error = await serving({ kind: 'raw', status: 200, contentType: 'text/event-stream', body }, (s) => failure(s, 'openai'));
    assert.equal(error.kind, 'torn_stream');
  });

  it('estimates usage a server left out, and marks it estimated', () => {
    const response = { content: 'x'.repeat(40), toolCalls: [], finishReason: 'stop', responseModel: 'm' };
    assert.deepEqual(completeUsage({ ...response, usage: { inputTokens: 0, outputTokens: 0 } }, 300), { inputTokens: 300, outputTokens: 10, estimated: true });
    assert.deepEqual(completeUsage({ ...response, usage: { inputTokens: 120, outputTokens: 0 } }, 300), { inputTokens: 120, outputTokens: 10, estimated: true });
    assert.deepEqual(completeUsage({ ...response, usage: { inputTokens: 120, outputTokens: 9 } }, 300), { inputTokens: 120, outputTokens: 9 });
  });
});
