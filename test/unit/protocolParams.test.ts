import assert from 'node:assert/strict';
import type { z } from 'zod';
import { checkParams, MAX_PARAMS_DEPTH } from '../../protocol/params';
import {
  CancelRunRequest, DiscoverOllamaModelsRequest, EvalJsRequest, GetMcpPromptRequest, ListMcpPromptsRequest, ListToolsRequest, MemoryFilesChangedNotification, MemoryReindexRequest, MemorySearchRequest,
  MemorySettingsNotification, PingRequest, SetMcpServersRequest, StartRunRequest, VsCodeChatTextNotification,
} from '../../protocol/rpc';
import { hostInitializationOptionsSchema } from '../../protocol/version';
import { useTranslations } from '../../protocol/translations';

const models = { router: { retries: 1, models: [{ id: 'a', capabilities: { tools: true } }] }, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:11434', model: 'm' }, apiKeys: { a: 'sk-1' } };
const run = { goal: 'fix it', models, limits: { maxSteps: 12, approvalTimeoutMs: 600_000, maxTools: 40 } };

/** The message a refusal carries; fails the test when the params pass. */
function refusal(schema: z.ZodType<unknown>, params: unknown, method = 'test/method'): string {
  const checked = checkParams(schema, params, method);
  if (checked.ok) assert.fail(`expected ${method} to refuse ${JSON.stringify(params)?.slice(0, 200)}`);
  return checked.message;
}

function accepts(schema: z.ZodType<unknown>, params: unknown): unknown {
  const checked = checkParams(schema, params, 'test/method');
  assert.ok(checked.ok, checked.ok ? '' : checked.message);
  return checked.params;
}

/** `{"a":{"a":…1…}}` or `[[…1…]]`, `levels` deep, built without recursion. */
function nested(levels: number, kind: 'object' | 'list' = 'object'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = kind === 'object' ? { a: value } : [value];
  return value;
}

describe('protocol params schemas', () => {
  it('accept what the extension sends', () => {
    assert.deepEqual(accepts(StartRunRequest.params, { ...run, privacy: { localOnly: false, localOnlyGlobs: ['secret/**'] }, restricted: true, allowHosts: ['api.github.com'], passEnv: ['GH_TOKEN'] }), {
      ...run, privacy: { localOnly: false, localOnlyGlobs: ['secret/**'] }, restricted: true, allowHosts: ['api.github.com'], passEnv: ['GH_TOKEN'],
    });
    accepts(CancelRunRequest.params, { runId: '6c1f0b4e-1d2a-4c7e-9a55-0d1f2e3c4b5a' });
    accepts(PingRequest.params, { sentAt: 1733486400000.25 });
    accepts(SetMcpServersRequest.params, {
      servers: [
        { name: 'everything', source: '.vscode/mcp.json', type: 'stdio', command: 'npx', args: ['-y', 'server'], env: { A: 'b' }, cwd: '/w', network: true },
        { name: 'legacy', source: 'settings (keel.mcp.servers)', type: 'stdio', command: '/opt/server', args: [], env: {}, sandbox: false },
        { name: 'remote', source: 'settings (keel.mcp.servers)', type: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer x' } },
      ],
      sampling: models,
      sandbox: 'required',
    });
    accepts(GetMcpPromptRequest.params, { server: 's', name: 'review', arguments: { file: 'a.ts' } });
    accepts(EvalJsRequest.params, { code: 'return input.x', input: { x: [1, { y: 2 }] } });
    accepts(MemorySearchRequest.params, { query: 'retry path:src/**', limit: 20 });
    accepts(MemoryFilesChangedNotification.params, { paths: ['a.ts', 'src/b.ts'] });
    accepts(MemorySettingsNotification.params, { filesExclude: ['**/.git'] });
    accepts(VsCodeChatTextNotification.params, { requestId: 'r1', delta: 'Hello' });
    accepts(DiscoverOllamaModelsRequest.params, { baseUrl: 'http://127.0.0.1:11434' });
    accepts(hostInitializationOptionsSchema, { protocolVersion: 1, storageDir: '/s', filesExclude: ['**/.git'] });
    for (const none of [ListMcpPromptsRequest, ListToolsRequest, MemoryReindexRequest]) {
      accepts(none.params, undefined);
      accepts(none.params, {});
    }
  });

  it('refuse null, missing and mistyped params, naming the field and what it allows', () => {
    assert.equal(refusal(StartRunRequest.params, null), 'Invalid run request: params: must be an object');
    assert.equal(refusal(PingRequest.params, null, 'keel/ping'), 'Invalid keel/ping request: params: must be an object');
    assert.equal(refusal(PingRequest.params, undefined, 'keel/ping'), 'Invalid keel/ping request: params: is missing; it must be an object');
    assert.equal(refusal(PingRequest.params, [1, 2], 'keel/ping'), 'Invalid keel/ping request: params: must be an object');
    assert.equal(refusal(PingRequest.params, { sentAt: 'NaN' }, 'keel/ping'), 'Invalid keel/ping request: sentAt: must be a number');
    assert.equal(refusal(CancelRunRequest.params, {}, 'keel/cancelRun'), 'Invalid keel/cancelRun request: runId: is missing; it must be a string');
    assert.equal(refusal(StartRunRequest.params, { ...run, limits: undefined }), 'Invalid run request: limits: is missing; it must be an object');
    assert.equal(refusal(StartRunRequest.params, { ...run, restricted: 'yes' }), 'Invalid run request: restricted: must be true or false');
    assert.equal(refusal(StartRunRequest.params, { ...run, models: { ...models, defaultModel: { ...models.defaultModel, provider: 'claude' } } }), 'Invalid run request: models.defaultModel.provider: must be one of "ollama", "openai"');
    assert.equal(refusal(StartRunRequest.params, { ...run, models: { ...models, defaultModel: { ...models.defaultModel, baseUrl: 'file:///etc/passwd' } } }), 'Invalid run request: models.defaultModel.baseUrl: must be an http(s) URL');
    assert.equal(refusal(StartRunRequest.params, { ...run, passEnv: ['GH TOKEN'] }), 'Invalid run request: passEnv[0]: must be an environment variable name');
    assert.equal(
      refusal(SetMcpServersRequest.params, { servers: [{ name: 'a', source: 's', type: 'ws' }, { name: 'b', source: 's', type: 'stdio', command: 'x', args: [], env: { 'MY VAR': 1 } }], sampling: models }, 'mcp/setServers'),
      'Invalid mcp/setServers request: servers[0].type: must be one of "stdio", "http"; servers[1].env["MY VAR"]: must be a string',
    );
    assert.equal(
      refusal(SetMcpServersRequest.params, { servers: [{ name: 'b', source: 's', type: 'stdio', command: 'x', args: [], env: {}, network: 'yes' }], sampling: models, sandbox: 'sometimes' }, 'mcp/setServers'),
      'Invalid mcp/setServers request: servers[0].network: must be true or false; sandbox: must be one of "auto", "required", "off"',
    );
    assert.equal(refusal(ListToolsRequest.params, { all: true }, 'tools/list'), 'Invalid tools/list request: params: must be absent or {}: this request takes no params');
    assert.equal(refusal(ListToolsRequest.params, null, 'tools/list'), 'Invalid tools/list request: params: must be absent or {}: this request takes no params');
    assert.equal(refusal(DiscoverOllamaModelsRequest.params, { baseUrl: 'localhost:11434' }, 'model/discoverOllama'), 'Invalid model/discoverOllama request: baseUrl: must be an http(s) URL');
    assert.equal(refusal(hostInitializationOptionsSchema, { protocolVersion: 1, filesExclude: '**/.git' }), 'Invalid initialization options: filesExclude: must be a list');
  });

  it('refuse numbers out of range', () => {
    for (const maxSteps of [-5, 0, 201, 1e9, 2.5, 'NaN', Number.NaN, null]) {
      assert.equal(refusal(StartRunRequest.params, { ...run, limits: { ...run.limits, maxSteps } }), 'Invalid run request: limits.maxSteps: must be an integer from 1 to 200', `maxSteps ${String(maxSteps)}`);
    }
    assert.equal(refusal(StartRunRequest.params, { ...run, limits: { ...run.limits, approvalTimeoutMs: 2 ** 31 } }), 'Invalid run request: limits.approvalTimeoutMs: must be an integer from 1 to 2,147,483,647');
    assert.equal(refusal(StartRunRequest.params, { ...run, limits: { ...run.limits, maxTools: 501 } }), 'Invalid run request: limits.maxTools: must be an integer from 1 to 500');
    for (const limit of [0, 101, '5']) assert.equal(refusal(MemorySearchRequest.params, { query: 'q', limit }, 'memory/search'), 'Invalid memory/search request: limit: must be an integer from 1 to 100');
  });

  it('cap strings, lists and maps', () => {
    assert.equal(refusal(StartRunRequest.params, { ...run, goal: 'x'.repeat(20_001) }), 'Invalid run request: goal: must be at most 20,000 characters');
    accepts(StartRunRequest.params, { ...run, goal: 'x'.repeat(20_000) });
    assert.equal(refusal(StartRunRequest.params, { ...run, allowHosts: Array.from({ length: 1001 }, (_, i) => `h${i}.example.com`) }), 'Invalid run request: allowHosts: must have at most 1,000 items');
    assert.equal(refusal(StartRunRequest.params, { ...run, allowHosts: [''] }), 'Invalid run request: allowHosts[0]: must not be empty');
    assert.equal(refusal(StartRunRequest.params, { ...run, models: { ...models, apiKeys: { a: 'k'.repeat(4097) } } }), 'Invalid run request: models.apiKeys.a: must be at most 4,096 characters');
    assert.equal(refusal(EvalJsRequest.params, { code: ' '.repeat(100_001) }, 'sandbox/eval'), 'Invalid sandbox/eval request: code: must be at most 100,000 characters');
    assert.equal(refusal(MemorySearchRequest.params, { query: '' }, 'memory/search'), 'Invalid memory/search request: query: must not be empty');
    assert.equal(refusal(MemorySearchRequest.params, { query: 'q'.repeat(501) }, 'memory/search'), 'Invalid memory/search request: query: must be at most 500 characters');
    assert.equal(refusal(CancelRunRequest.params, { runId: 'r'.repeat(201) }, 'keel/cancelRun'), 'Invalid keel/cancelRun request: runId: must be at most 200 characters');
    const manyArguments = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, 'v']));
    assert.equal(refusal(GetMcpPromptRequest.params, { server: 's', name: 'n', arguments: manyArguments }, 'mcp/getPrompt'), 'Invalid mcp/getPrompt request: arguments: must have at most 100 entries');
    assert.match(refusal(GetMcpPromptRequest.params, { server: 's', name: 'n', arguments: { ['k'.repeat(300)]: 'v' } }, 'mcp/getPrompt'), /^Invalid mcp\/getPrompt request: arguments\["k{64}…"\]: the key must be at most 256 characters$/);
    const servers = Array.from({ length: 101 }, (_, i) => ({ name: `s${i}`, source: 's', type: 'http', url: 'http://x', headers: {} }));
    assert.equal(refusal(SetMcpServersRequest.params, { servers, sampling: models }, 'mcp/setServers'), 'Invalid mcp/setServers request: servers: must have at most 100 items');
    assert.equal(refusal(VsCodeChatTextNotification.params, { requestId: 'r', delta: 'x'.repeat(1_000_001) }, 'model/chatText'), 'Invalid model/chatText request: delta: must be at most 1,000,000 characters');
  });

  it('list at most five fields and count the rest', () => {
    const message = refusal(StartRunRequest.params, { goal: 1, models: 1, privacy: 1, limits: 1, restricted: 1, allowHosts: 1, passEnv: 1 });
    assert.equal(message.split('; ').length, 5);
    assert.match(message, /^Invalid run request: goal: must be a string; models: must be an object; .* \(and 2 more\)$/);
  });

  it('word their refusals in the translation in use, made when the params are checked', () => {
    const tooMany = { ...run, limits: { ...run.limits, maxSteps: 201 } };
    try {
      useTranslations({ 'must be an object': '[qps] muss ein Objekt sein', 'must be an integer from {0} to {1}': '[qps] muss eine ganze Zahl von {0} bis {1} sein' });
      assert.equal(refusal(PingRequest.params, null, 'keel/ping'), 'Invalid keel/ping request: params: [qps] muss ein Objekt sein');
      assert.equal(refusal(StartRunRequest.params, tooMany), 'Invalid run request: limits.maxSteps: [qps] muss eine ganze Zahl von 1 bis 200 sein');
    } finally {
      useTranslations({});
    }
    assert.equal(refusal(PingRequest.params, null, 'keel/ping'), 'Invalid keel/ping request: params: must be an object');
    assert.equal(refusal(StartRunRequest.params, tooMany), 'Invalid run request: limits.maxSteps: must be an integer from 1 to 200');
  });

  it('refuse params nested too deep without overflowing the stack, naming the top-level field', () => {
    for (const kind of ['object', 'list'] as const) {
      const deep = nested(100_000, kind);
      assert.equal(refusal(PingRequest.params, { sentAt: deep }, 'keel/ping'), `Invalid keel/ping request: params nest too deep: sentAt nests more than ${MAX_PARAMS_DEPTH} levels of objects and lists`);
      assert.equal(refusal(StartRunRequest.params, { ...run, limits: deep }), `Invalid run request: params nest too deep: limits nests more than ${MAX_PARAMS_DEPTH} levels of objects and lists`);
      assert.equal(refusal(EvalJsRequest.params, { code: 'return 1', input: deep }, 'sandbox/eval'), `Invalid sandbox/eval request: params nest too deep: input nests more than ${MAX_PARAMS_DEPTH} levels of objects and lists`);
      assert.equal(refusal(ListToolsRequest.params, deep, 'tools/list'), `Invalid tools/list request: params nest too deep: ${kind === 'object' ? 'a' : 'params[0]'} nests more than ${MAX_PARAMS_DEPTH} levels of objects and lists`);
    }
    // Router settings as written nest a few levels; the limit leaves room for any real input.
    accepts(EvalJsRequest.params, { code: 'return input', input: nested(MAX_PARAMS_DEPTH - 2) });
    assert.match(refusal(EvalJsRequest.params, { code: 'return input', input: nested(MAX_PARAMS_DEPTH) }), /params nest too deep: input/);
  });
});
