import assert from 'node:assert/strict';
import { connectModel, ModelError, type ChatModel } from '../../host/models';
import type { ModelProvider } from '../../protocol/run';
import { startModelServer, type ModelReply, type ModelServer } from '../fixtures/modelServer';
import { rejection } from './helpers';

const tools = [{ name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }];
const messages = [{ role: 'user' as const, content: 'hello' }];

function modelAt(server: ModelServer, provider: ModelProvider, apiKey?: string): ChatModel {
  const baseUrl = provider === 'openai' ? `${server.url}/v1` : server.url;
  return connectModel({ provider, baseUrl, model: 'test-model' }, { apiKey });
}

for (const provider of ['ollama', 'openai'] as const) {
  describe(`${provider} model over the real client`, () => {
    let reply: ModelReply;
    let server: ModelServer;
    beforeEach(async () => {
      server = await startModelServer(() => reply);
    });
    afterEach(() => server.close());

    it('assembles streamed text and reports usage', async () => {
      reply = { kind: 'message', content: 'The quick brown fox jumps over the lazy dog.', usage: { input: 21, output: 9 } };
      const deltas: string[] = [];
      const response = await modelAt(server, provider).chat({ messages, tools, onText: (d) => deltas.push(d) }, new AbortController().signal);
      assert.equal(response.content, 'The quick brown fox jumps over the lazy dog.');
      assert.ok(deltas.length > 1, 'text arrives in several pieces');
      assert.deepEqual(response.usage, { inputTokens: 21, outputTokens: 9 });
      assert.equal(response.toolCalls.length, 0);
      assert.equal(server.requests[0]!.tools[0].function.name, 'read_file');
    });

    it('returns parallel tool calls with parsed arguments and distinct ids', async () => {
      reply = { kind: 'message', toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }, { name: 'read_file', arguments: { path: 'b/c.ts' } }] };
      const response = await modelAt(server, provider).chat({ messages, tools }, new AbortController().signal);
      assert.deepEqual(response.toolCalls.map((c) => [c.name, c.arguments]), [['read_file', { path: 'a.ts' }], ['read_file', { path: 'b/c.ts' }]]);
      assert.equal(new Set(response.toolCalls.map((c) => c.id)).size, 2);
      assert.equal(response.finishReason, 'tool_calls');
    });

    it('sends tool results back in the provider\'s format', async () => {
      reply = { kind: 'message', content: 'ok' };
      await modelAt(server, provider).chat({
        messages: [
          ...messages,
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'read_file', arguments: { path: 'a.ts' } }] },
          { role: 'tool', content: 'file text', toolCallId: 'call_1', toolName: 'read_file' },
        ],
        tools,
      }, new AbortController().signal);
      const sent = server.requests[0]!.messages;
      const tool = sent.at(-1);
      assert.equal(tool.role, 'tool');
      assert.equal(tool.content, 'file text');
      if (provider === 'openai') {
        assert.equal(tool.tool_call_id, 'call_1');
        assert.equal(sent.at(-2).tool_calls[0].function.arguments, '{"path":"a.ts"}');
      } else {
        assert.equal(tool.tool_name, 'read_file');
        assert.deepEqual(sent.at(-2).tool_calls[0].function.arguments, { path: 'a.ts' });
      }
    });

    it('turns 429 into a rate-limit error that carries Retry-After', async () => {
      reply = { kind: 'error', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '7' } };
      const error = await rejection(modelAt(server, provider).chat({ messages, tools }, new AbortController().signal));
      assert.ok(error instanceof ModelError);
      assert.equal(error.kind, 'rate_limited');
      assert.match(error.message, /HTTP 429/);
      assert.equal(error.retryAfterMs, 7000);
    });

    it('turns 500 into a server error that names the status', async () => {
      reply = { kind: 'error', status: 500, message: 'boom' };
      const error = await rejection(modelAt(server, provider).chat({ messages, tools }, new AbortController().signal));
      assert.ok(error instanceof ModelError);
      assert.equal(error.kind, 'server');
      assert.match(error.message, /HTTP 500/);
    });

    it('tells the user how to fix an unknown model', async () => {
      reply = { kind: 'error', status: 404, message: 'model "test-model" not found' };
      const error = await rejection(modelAt(server, provider).chat({ messages, tools }, new AbortController().signal));
      assert.ok(error instanceof ModelError);
      assert.equal(error.kind, 'not_found');
      assert.match(error.message, provider === 'ollama' ? /ollama pull test-model/ : /keel\.openai\.model/);
    });

    it('fails cleanly when the stream is torn mid-answer', async () => {
      reply = { kind: 'tornStream', content: 'This answer will be cut off somewhere in the middle of it.' };
      const error = await rejection(modelAt(server, provider).chat({ messages, tools }, new AbortController().signal));
      assert.ok(error instanceof Error);
    });

    it('fails with a clear message on a body that is not the wire format', async () => {
      reply = { kind: 'raw', status: 200, contentType: 'text/html', body: '<html>not a model</html>' };
      const error = await rejection(modelAt(server, provider).chat({ messages, tools }, new AbortController().signal));
      assert.ok(error instanceof Error);
    });

    it('stops waiting when the caller aborts', async () => {
      reply = { kind: 'hang' };
      const controller = new AbortController();
      const pending = modelAt(server, provider).chat({ messages, tools }, controller.signal);
      setTimeout(() => controller.abort(), 50);
      const error = await rejection(pending);
      assert.equal(error.name, 'AbortError');
    });
  });
}

describe('model errors', () => {
  it('says how to start Ollama when nothing listens', async () => {
    const model = connectModel({ provider: 'ollama', baseUrl: 'http://127.0.0.1:9', model: 'm' });
    const error = await rejection(model.chat({ messages, tools }, new AbortController().signal));
    assert.ok(error instanceof ModelError);
    assert.equal(error.kind, 'unreachable');
    assert.match(error.message, /ollama serve/);
  });

  it('says an OpenAI server is unreachable', async () => {
    const model = connectModel({ provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }, { apiKey: 'k' });
    const error = await rejection(model.chat({ messages, tools }, new AbortController().signal));
    assert.ok(error instanceof ModelError);
    assert.equal(error.kind, 'unreachable');
  });

  it('asks for a valid key on 401', async () => {
    const server = await startModelServer(() => ({ kind: 'message', content: 'hi' }), { apiKey: 'right' });
    try {
      const error = await rejection(modelAt(server, 'openai', 'wrong').chat({ messages, tools }, new AbortController().signal));
      assert.ok(error instanceof ModelError);
      assert.equal(error.kind, 'auth');
      assert.match(error.message, /Set OpenAI API Key/);
      const ok = await modelAt(server, 'openai', 'right').chat({ messages, tools }, new AbortController().signal);
      assert.equal(ok.content, 'hi');
    } finally {
      await server.close();
    }
  });

  it('reports malformed tool-call JSON from OpenAI instead of throwing', async () => {
    const server = await startModelServer(() => ({ kind: 'message', toolCalls: [{ name: 'read_file', arguments: '{"path": ' }] }));
    try {
      const response = await modelAt(server, 'openai').chat({ messages, tools }, new AbortController().signal);
      assert.equal(response.toolCalls[0]!.arguments, '{"path": ');
      assert.match(response.toolCalls[0]!.argumentsError!, /not valid JSON/);
    } finally {
      await server.close();
    }
  });
});
