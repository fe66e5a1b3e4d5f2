/**
 * Observability area: what recording a span with its content costs the host, and what OTLP export costs a run.
 * The trace viewer's figures (helper B's `bench/traceViewer.ts`) are merged into the same result.
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChatMessage } from '../host/models';
import { chatInputContent, chatOutputContent } from '../host/observability/genAiMessages';
import { TraceStore } from '../host/observability/traceStore';
import { startTrace } from '../host/observability/tracer';
import { RunFinishedNotification, StartRunRequest } from '../protocol/rpc';
import type { RunResult } from '../protocol/run';
import { PROTOCOL_VERSION, type HostInitializationOptions } from '../protocol/version';
import { startModelServer, type ModelServer } from '../test/fixtures/modelServer';
import { startOtlpReceiver } from '../test/fixtures/otlpReceiver';
import { scriptedAgent } from '../test/fixtures/scriptedAgent';
import { startHost, type HostProcess } from '../test/host/hostProcess';
import { tempDir } from '../test/unit/helpers';
import { median, percentile, round, type Metric } from './report';
import { benchTraceViewer, TRACE_VIEWER_NOTES } from './traceViewer';

const SPANS = 20_000;
const WARM_UP_SPANS = 2_000;
/** A model call's span every this many tool spans: each holds the conversation, and the store keeps every one. */
const CHAT_EVERY = 10;
/** Spans recorded between two flushes of the store, as a busy run would between its 100 ms flushes. */
const FLUSH_EVERY = 200;
const RUNS = 48;
const WARM_UP_RUNS = 5;
/** Each run reads README.md this many times before the step limit ends it: a model call and a tool call per step. */
const RUN_STEPS = 20;

export async function benchObservability(): Promise<{ metrics: Record<string, Metric>; notes: string }> {
  const spans = await spanOverhead();
  const otlp = await otlpOverhead();
  const metrics: Record<string, Metric> = {
    span_overhead_us: { value: round(spans.withContent, 1), unit: 'us', lowerIsBetter: true },
    span_overhead_p95_us: { value: round(spans.withContentP95, 1), unit: 'us', lowerIsBetter: true },
    span_without_content_overhead_us: { value: round(spans.withoutContent, 1), unit: 'us', lowerIsBetter: true },
    chat_span_overhead_us: { value: round(spans.chat, 1), unit: 'us', lowerIsBetter: true },
    otlp_export_overhead_ratio: { value: round(otlp.on.runMs / otlp.off.runMs, 3), unit: 'ratio', lowerIsBetter: true },
    otlp_export_host_cpu_ratio: { value: round(otlp.on.cpuMs / otlp.off.cpuMs, 3), unit: 'ratio', lowerIsBetter: true },
    otlp_export_content_overhead_ratio: { value: round(otlp.content.runMs / otlp.off.runMs, 3), unit: 'ratio', lowerIsBetter: true },
    otlp_export_content_host_cpu_ratio: { value: round(otlp.content.cpuMs / otlp.off.cpuMs, 3), unit: 'ratio', lowerIsBetter: true },
    run_ms_export_off: { value: round(otlp.off.runMs, 1), unit: 'ms', lowerIsBetter: true },
    ...(await benchTraceViewer()),
  };
  const notes = `span_overhead_us: p50 over ${SPANS} execute_tool spans (after ${WARM_UP_SPANS} warm-up) of start, tool-call arguments ` +
    '(a path), a 2 KiB result holding a planted DB_PASSWORD assignment (redacted), attributes and end, into the trace store (queued; ' +
    `flushed every ${FLUSH_EVERY} spans outside the timing), interleaved with the same span without content ` +
    '(span_without_content_overhead_us) in the same run; each result is new text, so it is redacted rather than looked up. ' +
    `chat_span_overhead_us: p50 over ${SPANS / CHAT_EVERY} spans of a model call whose input is the last ten steps of the conversation (about 21 KiB, ` +
    'one new fenced tool result redacted, the rest looked up) and whose output is a tool call. otlp_export_overhead_ratio: median wall time of a ' +
    `${RUN_STEPS}-step scripted run (${RUN_STEPS} model calls, ${RUN_STEPS - 1} read_file calls, zero-latency fixture model) in a built ` +
    'host exporting to the local test receiver with the default settings, over the same run in a host that does not export; ' +
    'otlp_export_content_overhead_ratio: the same with keel.telemetry.captureContent on (each model call\'s whole conversation goes ' +
    `as attributes). Three hosts take turns, ${RUNS} rounds after ${WARM_UP_RUNS} warm-up rounds, the rounds going through every order of the three. ` +
    'They share the machine, so export work one host does in the background can land in another\'s run: the *_host_cpu_ratio ' +
    'figures are the steadier ones, the CPU time (user + system, /proc) each host used over all its measured runs, counted 2 s ' +
    'after the last so the last batch is in. ' + TRACE_VIEWER_NOTES;
  return { metrics, notes };
}

/**
 * Recording a span with content (redacted) and without, interleaved, each into a trace store as the host records;
 * and a model call's span, whose input is the conversation so far with one new tool result each time.
 */
async function spanOverhead(): Promise<{ withContent: number; withContentP95: number; withoutContent: number; chat: number }> {
  const dir = await tempDir('keel-bench-traces-');
  const store = new TraceStore(dir);
  const root = startTrace((span, content) => store.record(span, content), 'invoke_agent keel', 'invoke_agent');
  const code = sourceText(2048);
  const withContent: number[] = [];
  const withoutContent: number[] = [];
  const chats: number[] = [];
  const conversation: ChatMessage[] = [{ role: 'system', content: 'You are Keel.' }, { role: 'user', content: 'fix the build' }];
  for (let i = 0; i < SPANS + WARM_UP_SPANS; i++) {
    // Each result is new text, so it is redacted, not looked up.
    const result = `// src/module${i}.ts\n${code}\nDB_PASSWORD=hunter2hunter2\n`;
    let start = performance.now();
    const tool = root.child('execute_tool read_file', 'execute_tool', { 'gen_ai.tool.name': 'read_file', 'gen_ai.tool.call.id': `call_${i}` });
    tool.setContent({ 'gen_ai.tool.call.arguments': { path: `src/module${i}.ts` } });
    tool.setContent({ 'gen_ai.tool.call.result': result });
    tool.end('ok');
    const contentUs = (performance.now() - start) * 1000;
    start = performance.now();
    const bare = root.child('execute_tool read_file', 'execute_tool', { 'gen_ai.tool.name': 'read_file', 'gen_ai.tool.call.id': `bare_${i}` });
    bare.end('ok');
    const bareUs = (performance.now() - start) * 1000;
    if (i >= WARM_UP_SPANS) {
      withContent.push(contentUs);
      withoutContent.push(bareUs);
    }
    if (i % FLUSH_EVERY === 0) await store.flush();
    if (i % CHAT_EVERY !== 0) continue;
    // The model reads the result fenced, as new text; the last ten steps stay, as a compacted conversation keeps them.
    const fenced = `<retrieved untrusted="true" source="tool" tool="read_file">\n${result}</retrieved>`;
    conversation.push({ role: 'assistant', content: '', toolCalls: [{ id: `call_${i}`, name: 'read_file', arguments: { path: `src/module${i}.ts` } }] }, { role: 'tool', content: fenced, toolCallId: `call_${i}`, toolName: 'read_file' });
    if (conversation.length > 22) conversation.splice(2, 2);
    start = performance.now();
    const chat = root.child('chat m', 'chat', { 'gen_ai.request.model': 'm' });
    chat.setContent(chatInputContent(conversation));
    chat.setContent(chatOutputContent({ content: '', toolCalls: [{ id: `call_${i + 1}`, name: 'read_file', arguments: { path: 'src/next.ts' } }], finishReason: 'tool_calls' }));
    chat.end('ok');
    if (i >= WARM_UP_SPANS) chats.push((performance.now() - start) * 1000);
  }
  root.end('ok');
  await store.flush();
  await rm(dir, { recursive: true, force: true });
  return { withContent: median(withContent), withContentP95: percentile(withContent, 95), withoutContent: median(withoutContent), chat: median(chats) };
}

const ORDERS = [['off', 'on', 'content'], ['off', 'content', 'on'], ['on', 'off', 'content'], ['on', 'content', 'off'], ['content', 'off', 'on'], ['content', 'on', 'off']] as const;

/** What each way of running cost: the median run's wall time, and the host's CPU time over all its measured runs. */
interface Cost {
  readonly runMs: number;
  readonly cpuMs: number;
}

/**
 * Three built hosts running the same scripted task in turn: one exporting to a local receiver with the default
 * settings, one also exporting content, one not exporting.
 */
async function otlpOverhead(): Promise<{ off: Cost; on: Cost; content: Cost }> {
  const model = await startModelServer(scriptedAgent);
  const receiver = await startOtlpReceiver();
  const workspace = await tempDir('keel-bench-otlp-');
  await writeFile(join(workspace, 'README.md'), `${sourceText(1500)}\n`);
  const hosts = {
    off: await runningHost(workspace, undefined),
    on: await runningHost(workspace, { otlpEndpoint: receiver.url, captureContent: false }),
    content: await runningHost(workspace, { otlpEndpoint: receiver.url, captureContent: true }),
  };
  const ways = ['off', 'on', 'content'] as const;
  const runs = { off: [] as number[], on: [] as number[], content: [] as number[] };
  const cpuAtStart = { off: 0, on: 0, content: 0 };
  try {
    for (let i = 0; i < RUNS + WARM_UP_RUNS; i++) {
      if (i === WARM_UP_RUNS) for (const way of ways) cpuAtStart[way] = cpuMs(hosts[way].host);
      // Rounds go through every order of the three, so no host always runs first or right after another's export.
      for (const way of ORDERS[i % ORDERS.length]!) {
        const ms = await timedRun(hosts[way], model);
        if (i >= WARM_UP_RUNS) runs[way].push(ms);
      }
    }
    // The last batch leaves up to a second after the last span; its cost belongs to the runs.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    if (receiver.spans.length === 0) throw new Error('otlp_export_overhead_ratio: the receiver got no spans, so export was not measured.');
    const cost = (way: keyof typeof hosts): Cost => ({ runMs: median(runs[way]), cpuMs: cpuMs(hosts[way].host) - cpuAtStart[way] });
    return { off: cost('off'), on: cost('on'), content: cost('content') };
  } finally {
    for (const way of ways) await hosts[way].host.stop();
    await receiver.close();
    await model.close();
  }
}

/** The CPU time a host process has used, in ms, from `/proc/<pid>/stat` (user + system, in clock ticks of 10 ms). */
function cpuMs(host: HostProcess): number {
  const fields = readFileSync(`/proc/${host.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface RunningHost {
  readonly host: HostProcess;
  /** Resolves when the run ends, even if its end arrived before anyone asked. */
  readonly finished: (runId: string) => Promise<RunResult>;
}

async function runningHost(workspace: string, telemetry: HostInitializationOptions['telemetry']): Promise<RunningHost> {
  const host = startHost();
  const ends = new Map<string, { promise: Promise<RunResult>; resolve: (result: RunResult) => void }>();
  const end = (runId: string) => {
    let entry = ends.get(runId);
    if (!entry) {
      let resolve: (result: RunResult) => void = () => undefined;
      const promise = new Promise<RunResult>((r) => (resolve = r));
      entry = { promise, resolve };
      ends.set(runId, entry);
    }
    return entry;
  };
  host.connection.onNotification(RunFinishedNotification.type, (result) => end(result.runId).resolve(result));
  const finished = (runId: string) => end(runId).promise.finally(() => ends.delete(runId));
  const initializationOptions: HostInitializationOptions = { protocolVersion: PROTOCOL_VERSION, storageDir: await tempDir('keel-bench-storage-'), ...(telemetry ? { telemetry } : {}) };
  await host.connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: 'workspace' }],
    capabilities: {},
    initializationOptions,
  });
  await host.connection.sendNotification('initialized', {});
  return { host, finished };
}

/** One run of `loop forever` until the step limit, from the start request to its end, in ms. */
async function timedRun({ host, finished }: RunningHost, model: ModelServer): Promise<number> {
  const start = performance.now();
  const { runId } = await host.connection.sendRequest(StartRunRequest.type, {
    goal: 'loop forever over the readme',
    models: { router: { retries: 0 }, defaultModel: { provider: 'ollama', baseUrl: model.url, model: 'test-model' }, apiKeys: {} },
    // The same read over and over is what is measured, not a loop to stop.
    limits: { maxSteps: RUN_STEPS, approvalTimeoutMs: 10_000, loopDetection: false },
  });
  await finished(runId);
  return performance.now() - start;
}

/** Code-like text of about `chars` characters, without anything that looks like a secret. */
function sourceText(chars: number): string {
  const lines: string[] = [];
  for (let i = 0, size = 0; size < chars; i++) {
    const line = `export function step${i}(input: number): number { return input * ${i} + ${i % 7}; }`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}
