import assert from 'node:assert/strict';
import { parseCliArgs, wantsHelp } from '../../host/cli/args';
import { terminalHints } from '../../host/cli/hints';
import { toModelError } from '../../host/models/errors';
import { reportMcpServers } from '../../host/cli/mcpServers';
import { renderTraceTree } from '../../host/cli/traceTree';
import { parseStartRunParams } from '../../host/startRunParams';
import { protocolMismatch, PROTOCOL_VERSION } from '../../protocol/version';
import { isFromWebview } from '../../protocol/webview';
import type { SpanData } from '../../protocol/trace';

describe('CLI arguments', () => {
  it('defaults to Ollama and asks about edits', () => {
    const options = parseCliArgs(['run', 'fix it', '--workspace', '/w'], {});
    assert.equal(options.goal, 'fix it');
    assert.equal(options.workspace, '/w');
    assert.deepEqual(options.models, {
      router: { attemptTimeoutSeconds: 120 },
      defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:11434', model: 'qwen2.5-coder:7b' },
      apiKeys: {},
    });
    assert.equal(options.approvals, 'ask');
  });

  it('uses OpenAI when a key is in the environment', () => {
    const options = parseCliArgs(['run', 'x', '--yes'], { OPENAI_API_KEY: 'sk-test' });
    assert.equal(options.models.defaultModel.provider, 'openai');
    assert.equal(options.models.defaultModel.apiKey, 'sk-test');
    assert.equal(options.approvals, 'yes');
  });

  it('explains bad usage', () => {
    assert.throws(() => parseCliArgs([], {}), /Usage: keel run/);
    assert.throws(() => parseCliArgs(['run', 'x', '--yes', '--no'], {}), /either --yes or --no/);
    assert.throws(() => parseCliArgs(['run', 'x', '--provider', 'claude'], {}), /Unknown provider "claude"/);
    assert.throws(() => parseCliArgs(['run', 'x', '--max-steps', 'lots'], {}), /--max-steps needs a positive number/);
    assert.throws(() => parseCliArgs(['run', 'x', '--agent', '../etc'], {}), /--agent needs an agent's name/);
    assert.throws(() => parseCliArgs(['run', 'x', '--max-parallel', '65'], {}), /--max-parallel needs a whole number from 0 to 64/);
  });

  it('runs an agent definition, with a cap on parallel subagents', () => {
    const options = parseCliArgs(['run', 'review it', '--agent', 'reviewer', '--max-parallel', '0'], {});
    assert.equal(options.agent, 'reviewer');
    assert.equal(options.limits.maxParallel, 0);
    assert.equal(parseCliArgs(['run', 'x'], {}).agent, undefined);
  });
});

describe('CLI help and hints', () => {
  it('asks for help with --help, -h or help, anywhere before the goal\'s --', () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['run', '--help'], ['run', 'fix it', '-h', '--yes']]) assert.ok(wantsHelp(argv), argv.join(' '));
    for (const argv of [[], ['run', 'explain what --help prints'], ['run', '--', '--help'], ['run', 'x', '--yes']]) assert.ok(!wantsHelp(argv), argv.join(' '));
  });

  it('turns the model layer\'s VS Code advice into flags and environment variables', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const messages = [
      toModelError(refused, { provider: 'ollama', baseUrl: 'http://127.0.0.1:9', model: 'm' }).message,
      toModelError(refused, { provider: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'm' }).message,
      toModelError(new Error('401 Unauthorized'), { provider: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'm' }, 401).message,
      toModelError(new Error('404 model not found'), { provider: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'm' }, 404).message,
    ].map(terminalHints);
    for (const message of messages) assert.doesNotMatch(message, /keel\.[a-z]+\.|Keel: |in settings/, message);
    assert.match(messages[0]!, /pass --base-url <url> if it runs elsewhere, or use OpenAI with --provider openai and the key in OPENAI_API_KEY/);
    assert.match(messages[1]!, /Check --base-url and your network, or use --provider ollama/);
    assert.match(messages[2]!, /Set OPENAI_API_KEY to a valid key/);
    assert.match(messages[3]!, /Check the name given to --model\./);
  });
});

describe('MCP server report', () => {
  it('warns about a server that runs unsandboxed by its flag, whatever language its note is in', () => {
    const lines: string[] = [];
    const server = { source: 'test', state: 'connected' as const, tools: 1 };
    reportMcpServers([
      { ...server, name: 'open', sandboxed: false, sandbox: '[qps] Es läuft ohne Sandbox.' },
      { ...server, name: 'boxed', sandboxed: true, sandbox: 'It runs in the OS sandbox: it has no network.' },
    ], (line) => lines.push(line));
    assert.deepEqual(lines, ['MCP server "open": [qps] Es läuft ohne Sandbox.']);
  });
});

describe('trace tree rendering', () => {
  it('indents children under their parents in start order', () => {
    const span = (spanId: string, parentSpanId: string | undefined, startTime: number, status: SpanData['status'] = 'ok'): SpanData => ({
      traceId: 't', spanId, ...(parentSpanId ? { parentSpanId } : {}), name: spanId, operation: 'x', startTime, endTime: startTime + 5, status, attributes: {},
    });
    const text = renderTraceTree([span('tool', 'root', 3, 'error'), span('root', undefined, 1), span('chat', 'root', 2), span('approval', 'tool', 4)]);
    assert.equal(text, ['✓ root (5 ms)', '  ✓ chat (5 ms)', '  ✗ tool (5 ms)', '    ✓ approval (5 ms)'].join('\n'));
  });
});

describe('protocol', () => {
  it('accepts its own version and refuses others with a way out', () => {
    assert.equal(protocolMismatch(PROTOCOL_VERSION), undefined);
    assert.match(protocolMismatch(PROTOCOL_VERSION + 1)!, /not supported.*Reinstall Keel/);
    assert.match(protocolMismatch(undefined)!, /not supported/);
  });

  it('recognises webview messages and nothing else', () => {
    assert.ok(isFromWebview({ type: 'ready' }));
    assert.ok(!isFromWebview({ type: 'eval', code: 'x' }));
    assert.ok(!isFromWebview('ready'));
    assert.ok(!isFromWebview(null));
  });

  it('checks run requests field by field', () => {
    const models = { router: { retries: 1 }, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:11434', model: 'm' }, apiKeys: {} };
    const good = { goal: 'g', models, limits: { maxSteps: 3, approvalTimeoutMs: 1000 } };
    assert.deepEqual(parseStartRunParams(good), good);
    assert.throws(() => parseStartRunParams({ ...good, goal: '   ' }), /goal is empty/);
    assert.throws(() => parseStartRunParams({ ...good, models: { ...models, defaultModel: { ...models.defaultModel, provider: 'claude' } } }), /models\.defaultModel\.provider/);
    assert.throws(() => parseStartRunParams({ ...good, models: { ...models, defaultModel: { ...models.defaultModel, baseUrl: 'not a url' } } }), /baseUrl/);
    assert.throws(() => parseStartRunParams({ ...good, privacy: { localOnly: 'yes', localOnlyGlobs: [] } }), /privacy\.localOnly/);
    assert.throws(() => parseStartRunParams({ ...good, limits: { maxSteps: 0, approvalTimeoutMs: 1 } }), /maxSteps/);
  });
});
