import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { startModelServer, type ModelReply, type ModelScript, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';

const TOOLS = [
  { type: 'function' as const, function: { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } },
];
const USER = [{ role: 'user' as const, content: 'hi' }];

let server: ModelServer | undefined;

async function serve(script: ModelScript | ModelReply, options?: Parameters<typeof startModelServer>[1]): Promise<ModelServer> {
  server = await startModelServer(typeof script === 'function' ? script : () => script, options);
  return server;
}
const ollamaFor = (url: string) => new Ollama({ host: url });
const openAiFor = (url: string, apiKey = 'test') => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 });

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('model server fixture: Ollama /api/chat', () => {
  it('streams text as several NDJSON lines that assemble to the scripted content', async () => {
    const { url, requests } = await serve({ kind: 'message', content: 'The sky is blue because of Rayleigh scattering.', usage: { input: 12, output: 9 } });
    const stream = await ollamaFor(url).chat({ model: 'qwen2.5-coder:7b', messages: USER, stream: true, tools: TOOLS });
    const parts: string[] = [];
    let last: any;
    for await (const part of stream) {
      parts.push(part.message.content);
      last = part;
    }
    assert.ok(parts.filter(Boolean).length > 1, `expected several content chunks, got ${parts.length}`);
    assert.equal(parts.join(''), 'The sky is blue because of Rayleigh scattering.');
    assert.equal(last.done, true);
    assert.equal(last.done_reason, 'stop');
    assert.equal(last.prompt_eval_count, 12);
    assert.equal(last.eval_count, 9);
    assert.equal(requests[0].api, 'ollama');
    assert.equal(requests[0].stream, true);
    assert.equal(requests[0].tools[0].function.name, 'read_file');
  });

  it('sends tool calls with object arguments, streamed and not', async () => {
    const { url } = await serve({ kind: 'message', toolCalls: [{ name: 'read_file', arguments: { path: 'src/a.ts' } }, { name: 'read_file', arguments: '{"path": 7' }] });
    const ollama = ollamaFor(url);
    const calls: any[] = [];
    for await (const part of await ollama.chat({ model: 'm', messages: USER, stream: true, tools: TOOLS })) calls.push(...(part.message.tool_calls ?? []));
    const whole = await ollama.chat({ model: 'm', messages: USER, stream: false, tools: TOOLS });
    for (const received of [calls, whole.message.tool_calls]) {
      assert.deepEqual(received, [
        { function: { name: 'read_file', arguments: { path: 'src/a.ts' } } },
        { function: { name: 'read_file', arguments: '{"path": 7' } },
      ]);
    }
    assert.equal(whole.done, true);
  });

  it('returns a single JSON object without streaming, with derived token counts', async () => {
    const { url, requests } = await serve({ kind: 'message', content: 'twelve chars' });
    const reply = await ollamaFor(url).chat({ model: 'm', messages: USER, stream: false });
    assert.equal(reply.message.role, 'assistant');
    assert.equal(reply.message.content, 'twelve chars');
    assert.equal(reply.eval_count, 3);
    assert.ok(reply.prompt_eval_count > 0);
    assert.equal(requests[0].stream, false);
  });

  it('lists models and reports a version', async () => {
    const { url } = await serve(scriptedAgent, { models: ['llama3.2:latest'] });
    const ollama = ollamaFor(url);
    assert.deepEqual((await ollama.list()).models.map((model) => model.name), ['llama3.2:latest']);
    assert.match((await ollama.version()).version, /^\d+\.\d+\.\d+$/);
  });

  it('surfaces {"error": ...} bodies with their status', async () => {
    const { url } = await serve({ kind: 'error', status: 404, message: 'model "nope" not found, try pulling it first' });
    await assert.rejects(ollamaFor(url).chat({ model: 'nope', messages: USER, stream: true }), (error: any) => {
      assert.equal(error.status_code, 404);
      assert.equal(error.message, 'model "nope" not found, try pulling it first');
      return true;
    });
  });

  it('rejects a missing or wrong key when one is required', async () => {
    const { url, requests } = await serve({ kind: 'message', content: 'ok' }, { apiKey: 'secret' });
    await assert.rejects(ollamaFor(url).chat({ model: 'm', messages: USER }), { status_code: 401, message: 'unauthorized' });
    const authorized = new Ollama({ host: url, headers: { Authorization: 'Bearer secret' } });
    assert.equal((await authorized.chat({ model: 'm', messages: USER })).message.content, 'ok');
    assert.equal(requests.length, 1);
  });

  it('makes stream iteration reject when the connection is torn mid-answer', async () => {
    const { url } = await serve({ kind: 'tornStream', content: 'this answer never finishes' });
    const stream = await ollamaFor(url).chat({ model: 'm', messages: USER, stream: true });
    const received: string[] = [];
    // undici reports a body cut short as TypeError 'terminated', unlike a stream that merely ends early.
    await assert.rejects((async () => { for await (const part of stream) received.push(part.message.content); })(), { name: 'TypeError', message: 'terminated' });
    assert.ok(received.length > 0, 'the first part should arrive before the tear');
  });

  it('makes the client throw on a malformed JSON body', async () => {
    const { url } = await serve({ kind: 'raw', status: 200, contentType: 'application/json', body: '{"model": "m", "message": {' });
    await assert.rejects(ollamaFor(url).chat({ model: 'm', messages: USER, stream: false }), SyntaxError);
  });

  it('ends a hung request on close() promptly', async () => {
    const { url, close } = await serve({ kind: 'hang' });
    const pending = ollamaFor(url).chat({ model: 'm', messages: USER, stream: true });
    pending.catch(() => {}); // observed below; avoid an unhandled rejection in between
    await waitFor(() => server!.requests.length === 1);
    const started = Date.now();
    await close();
    assert.ok(Date.now() - started < 1000, 'close() should not wait for the hung request');
    await assert.rejects(pending);
  });
});

describe('model server fixture: OpenAI /v1/chat/completions', () => {
  it('streams text in several chunks, then a usage-only chunk, then [DONE]', async () => {
    const { url, requests } = await serve({ kind: 'message', content: 'Hello from the scripted model!', usage: { input: 20, output: 7 } });
    const stream = await openAiFor(url).chat.completions.create({ model: 'gpt-4o-mini', messages: USER, stream: true, stream_options: { include_usage: true }, tools: TOOLS });
    const pieces: string[] = [];
    const finishReasons: unknown[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    let usageChoices: unknown[] | undefined;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.usage) { usage = chunk.usage; usageChoices = chunk.choices; }
      for (const choice of chunk.choices) {
        if (choice.delta.content) pieces.push(choice.delta.content);
        if (choice.finish_reason) finishReasons.push(choice.finish_reason);
      }
    }
    assert.ok(pieces.length > 1, `expected several content chunks, got ${pieces.length}`);
    assert.equal(pieces.join(''), 'Hello from the scripted model!');
    assert.deepEqual(finishReasons, ['stop']);
    assert.deepEqual(usageChoices, []);
    assert.equal(usage?.prompt_tokens, 20);
    assert.equal(usage?.completion_tokens, 7);
    assert.equal(usage?.total_tokens, 27);
    assert.equal(requests[0].api, 'openai');
    assert.equal(requests[0].stream, true);
    assert.equal(requests[0].headers.authorization, 'Bearer test');
  });

  it('streams two parallel tool calls as fragments that assemble by index', async () => {
    const { url } = await serve({
      kind: 'message',
      toolCalls: [
        { name: 'read_file', arguments: { path: 'src/extension.ts' } },
        { name: 'propose_edit', arguments: { path: 'b.txt', old_text: 'one', new_text: 'two' } },
      ],
    });
    const stream = await openAiFor(url).chat.completions.create({ model: 'm', messages: USER, stream: true, tools: TOOLS });
    const calls: { id: string; type: string; name: string; arguments: string; fragments: number }[] = [];
    let finishReason: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      finishReason = choice.finish_reason ?? finishReason;
      for (const delta of choice.delta.tool_calls ?? []) {
        if (delta.id) calls[delta.index] = { id: delta.id, type: delta.type!, name: delta.function!.name!, arguments: '', fragments: 0 };
        if (delta.function?.arguments) {
          calls[delta.index].arguments += delta.function.arguments;
          calls[delta.index].fragments++;
        }
      }
    }
    assert.equal(finishReason, 'tool_calls');
    assert.equal(calls.length, 2);
    assert.notEqual(calls[0].id, calls[1].id);
    assert.deepEqual(calls.map((call) => [call.type, call.name]), [['function', 'read_file'], ['function', 'propose_edit']]);
    assert.deepEqual(JSON.parse(calls[0].arguments), { path: 'src/extension.ts' });
    assert.deepEqual(JSON.parse(calls[1].arguments), { path: 'b.txt', old_text: 'one', new_text: 'two' });
    assert.ok(calls.every((call) => call.fragments > 1), 'arguments should arrive in several fragments');
  });

  it('returns a chat.completion without streaming, raw argument strings verbatim', async () => {
    const { url } = await serve({ kind: 'message', toolCalls: [{ name: 'propose_edit', arguments: '{"path": "a.txt", "old_text": ' }] });
    const completion = await openAiFor(url).chat.completions.create({ model: 'm', messages: USER, tools: TOOLS });
    assert.equal(completion.object, 'chat.completion');
    const [choice] = completion.choices;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const [call] = choice.message.tool_calls ?? [];
    assert.ok(call?.type === 'function');
    assert.match(call.id, /^call_/);
    assert.equal(call.function.arguments, '{"path": "a.txt", "old_text": ');
    assert.ok(completion.usage!.completion_tokens > 0);
  });

  it('lists models', async () => {
    const { url } = await serve(scriptedAgent, { models: ['gpt-4o-mini', 'gpt-4.1'] });
    const ids: string[] = [];
    for await (const model of openAiFor(url).models.list()) ids.push(model.id);
    assert.deepEqual(ids, ['gpt-4o-mini', 'gpt-4.1']);
  });

  it('surfaces 429 as RateLimitError with readable retry headers', async () => {
    const { url } = await serve({ kind: 'error', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '2', 'retry-after-ms': '1500' } });
    await assert.rejects(openAiFor(url).chat.completions.create({ model: 'm', messages: USER, stream: true }), (error: any) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.status, 429);
      assert.equal(error.headers.get('retry-after'), '2');
      assert.equal(error.headers.get('retry-after-ms'), '1500');
      assert.equal(error.code, 'rate_limit_exceeded');
      assert.match(error.message, /Rate limit reached/);
      return true;
    });
  });

  it('surfaces 500 as InternalServerError', async () => {
    const { url } = await serve({ kind: 'error', status: 500 });
    await assert.rejects(openAiFor(url).chat.completions.create({ model: 'm', messages: USER }), (error: any) => {
      assert.ok(error instanceof OpenAI.InternalServerError);
      assert.equal(error.status, 500);
      assert.equal(error.type, 'server_error');
      return true;
    });
  });

  it('answers 401 for a wrong key and serves the right one', async () => {
    const { url, requests } = await serve({ kind: 'message', content: 'ok' }, { apiKey: 'sk-right' });
    await assert.rejects(openAiFor(url, 'sk-wrong').chat.completions.create({ model: 'm', messages: USER }), (error: any) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      assert.equal(error.status, 401);
      assert.equal(error.code, 'invalid_api_key');
      return true;
    });
    const completion = await openAiFor(url, 'sk-right').chat.completions.create({ model: 'm', messages: USER });
    assert.equal(completion.choices[0].message.content, 'ok');
    assert.equal(requests.length, 1);
  });

  it('makes stream iteration reject when the connection is torn mid-answer', async () => {
    const { url } = await serve({ kind: 'tornStream', content: 'this answer never finishes' });
    const stream = await openAiFor(url).chat.completions.create({ model: 'm', messages: USER, stream: true });
    const received: string[] = [];
    await assert.rejects((async () => { for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? ''); })(), { name: 'TypeError', message: 'terminated' });
    assert.ok(received.length > 0, 'the first part should arrive before the tear');
  });

  it('makes the client throw on a malformed JSON body', async () => {
    const { url } = await serve({ kind: 'raw', status: 200, contentType: 'application/json', body: '{"id": "chatcmpl-1", "choices": [' });
    await assert.rejects(openAiFor(url).chat.completions.create({ model: 'm', messages: USER }), SyntaxError);
  });

  it('lets the client abort a hung request', async () => {
    const { url } = await serve({ kind: 'hang' });
    const controller = new AbortController();
    const pending = openAiFor(url).chat.completions.create({ model: 'm', messages: USER, stream: true }, { signal: controller.signal });
    await waitFor(() => server!.requests.length === 1);
    controller.abort();
    await assert.rejects(pending, OpenAI.APIUserAbortError);
  });
});

describe('scriptedAgent', () => {
  const goal = 'replace "hello" with "goodbye" in notes/today.md.';

  it('walks the replace flow over OpenAI: read_file, propose_edit, done', async () => {
    const { url } = await serve(scriptedAgent);
    const openai = openAiFor(url);
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'system', content: 'You edit files.' }, { role: 'user', content: goal }];
    const toolResults = ['hello world\n', 'edit approved and applied'];
    const calls: { name: string; arguments: unknown }[] = [];
    for (const result of toolResults) {
      const { message } = (await openai.chat.completions.create({ model: 'm', messages, tools: TOOLS })).choices[0];
      const call = message.tool_calls?.[0];
      assert.ok(call?.type === 'function', `expected a tool call, got ${JSON.stringify(message)}`);
      calls.push({ name: call.function.name, arguments: JSON.parse(call.function.arguments) });
      messages.push(message, { role: 'tool', tool_call_id: call.id, content: result });
    }
    const final = (await openai.chat.completions.create({ model: 'm', messages, tools: TOOLS })).choices[0];
    assert.deepEqual(calls, [
      { name: 'read_file', arguments: { path: 'notes/today.md' } },
      { name: 'propose_edit', arguments: { path: 'notes/today.md', old_text: 'hello', new_text: 'goodbye' } },
    ]);
    assert.equal(final.finish_reason, 'stop');
    assert.equal(final.message.content, 'Done: edit approved and applied');
  });

  it('walks the replace flow over streamed Ollama, with tool results named or not', async () => {
    const { url } = await serve(scriptedAgent);
    const ollama = ollamaFor(url);
    const messages: any[] = [{ role: 'user', content: goal }];
    const nextTurn = async () => {
      let content = '';
      const toolCalls: any[] = [];
      for await (const part of await ollama.chat({ model: 'm', messages, stream: true, tools: TOOLS })) {
        content += part.message.content;
        toolCalls.push(...(part.message.tool_calls ?? []));
      }
      messages.push({ role: 'assistant', content, tool_calls: toolCalls });
      return { content, toolCalls };
    };
    assert.deepEqual((await nextTurn()).toolCalls, [{ function: { name: 'read_file', arguments: { path: 'notes/today.md' } } }]);
    messages.push({ role: 'tool', content: 'hello world\n' }); // no tool_name: the agent matches by position
    assert.deepEqual((await nextTurn()).toolCalls, [{ function: { name: 'propose_edit', arguments: { path: 'notes/today.md', old_text: 'hello', new_text: 'goodbye' } } }]);
    messages.push({ role: 'tool', tool_name: 'propose_edit', content: 'denied by the user' });
    assert.equal((await nextTurn()).content, 'Done: denied by the user');
  });

  const tool = (name: string, content: string) => [
    { role: 'assistant', content: '', tool_calls: [{ id: 'call_9', type: 'function', function: { name, arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'call_9', content },
  ];
  const ask = (text: string, after: any[] = [], api: 'ollama' | 'openai' = 'openai') =>
    scriptedAgent({ api, model: 'm', messages: [{ role: 'user', content: text }, ...after], tools: [], stream: false, headers: {}, body: {} }, 0);

  it('summarizes by counting the lines of the read_file result', async () => {
    assert.deepEqual(await ask('summarize src/a.ts'), { kind: 'message', content: '', toolCalls: [{ name: 'read_file', arguments: { path: 'src/a.ts' } }] });
    assert.deepEqual(await ask('summarize src/a.ts', tool('read_file', 'one\ntwo\nthree\n')), { kind: 'message', content: 'src/a.ts has 3 lines.' });
  });

  it('calls an unknown tool, then quotes its error', async () => {
    assert.equal(((await ask('try an unknown tool')) as any).toolCalls[0].name, 'delete_everything');
    assert.deepEqual(await ask('try an unknown tool', tool('delete_everything', 'Unknown tool')), { kind: 'message', content: 'The tool replied: "Unknown tool"' });
  });

  it('sends malformed arguments: broken JSON for OpenAI, wrong types for Ollama', async () => {
    assert.equal(((await ask('send malformed arguments')) as any).toolCalls[0].arguments, '{"path": "a.txt", "old_text": ');
    assert.deepEqual(((await ask('send malformed arguments', [], 'ollama')) as any).toolCalls[0].arguments, { path: 42 });
    assert.deepEqual(await ask('send malformed arguments', tool('propose_edit', 'bad arguments')), { kind: 'message', content: 'The tool replied: "bad arguments"' });
  });

  it('hangs, loops, rate-limits and falls back as scripted', async () => {
    assert.deepEqual(await ask('never answer me'), { kind: 'hang' });
    assert.deepEqual(await ask('loop forever', tool('read_file', 'x')), { kind: 'message', content: '', toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }] });
    assert.deepEqual(await ask('you are rate limited'), { kind: 'error', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '1' } });
    assert.deepEqual(await ask('write a poem'), { kind: 'message', content: 'I can only follow scripted goals.' });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
