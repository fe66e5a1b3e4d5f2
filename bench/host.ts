/**
 * Host area: how fast the agent host starts, how long a JSON-RPC round trip takes compared with a bare
 * Node IPC echo in the same run, and how much memory the idle host holds.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { EvalJsRequest, PingRequest } from '../protocol/rpc';
import { startHost } from '../test/host/hostProcess';
import { median, percentile, round, type Metric } from './report';

const READY_RUNS = 7;
const ROUNDTRIPS = 2000;

export async function benchHost(activationMs: number | undefined): Promise<{ metrics: Record<string, Metric>; notes: string }> {
  const ready: number[] = [];
  for (let i = 0; i < READY_RUNS; i++) {
    const start = performance.now();
    const host = startHost();
    await host.initialize();
    ready.push(performance.now() - start);
    await host.stop();
  }

  const host = startHost();
  await host.initialize();
  const echo = spawn(process.execPath, ['-e', "process.on('message', (m) => process.send(m))"], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await once(echo, 'spawn');
  const rpc: number[] = [];
  const raw: number[] = [];
  // Interleaved after a warm-up, so both see the same machine noise.
  for (let i = 0; i < ROUNDTRIPS + 200; i++) {
    let start = performance.now();
    await host.connection.sendRequest(PingRequest.type, { sentAt: i });
    const rpcMs = performance.now() - start;
    start = performance.now();
    const reply = once(echo, 'message');
    echo.send({ i });
    await reply;
    const rawMs = performance.now() - start;
    if (i >= 200) {
      rpc.push(rpcMs);
      raw.push(rawMs);
    }
  }
  echo.kill();
  await new Promise((r) => setTimeout(r, 1000));
  const rssMb = residentMb(host.child.pid!);
  // run_js's round trip as the extension sees it: JSON-RPC to the host, a fresh sandbox execution, and back.
  const runJs: number[] = [];
  for (let i = 0; i < 300; i++) {
    const start = performance.now();
    await host.connection.sendRequest(EvalJsRequest.type, { code: 'return input * 2;', input: i });
    if (i >= 50) runJs.push(performance.now() - start);
  }
  await host.stop();

  const metrics: Record<string, Metric> = {
    host_ready_ms: { value: round(median(ready), 1), unit: 'ms', lowerIsBetter: true },
    host_ready_p95_ms: { value: round(percentile(ready, 95), 1), unit: 'ms', lowerIsBetter: true },
    rpc_roundtrip_p50_ms: { value: round(median(rpc)), unit: 'ms', lowerIsBetter: true },
    rpc_roundtrip_p95_ms: { value: round(percentile(rpc, 95)), unit: 'ms', lowerIsBetter: true },
    raw_ipc_roundtrip_p50_ms: { value: round(median(raw)), unit: 'ms', lowerIsBetter: true },
    rpc_roundtrip_ratio_vs_raw_ipc: { value: round(median(rpc) / median(raw), 2), unit: 'ratio', lowerIsBetter: true },
    host_idle_rss_mb: { value: round(rssMb, 1), unit: 'MB', lowerIsBetter: true },
    run_js_roundtrip_p50_ms: { value: round(median(runJs)), unit: 'ms', lowerIsBetter: true },
    run_js_roundtrip_p95_ms: { value: round(percentile(runJs, 95)), unit: 'ms', lowerIsBetter: true },
  };
  if (activationMs !== undefined) metrics.activation_ms = { value: round(activationMs, 1), unit: 'ms', lowerIsBetter: true };
  const notes = `host_ready_ms: fork of dist/host.js to initialize answered, median of ${READY_RUNS}. Since initialize parses ` +
    'the tokenizer\'s ranks (about 250 ms, which the first run used to parse while it held the event loop), host_ready_ms ' +
    'and host_idle_rss_mb include them; the first task waits as long as before. ' +
    `rpc_roundtrip: ${ROUNDTRIPS} keel/ping requests over vscode-jsonrpc IPC, interleaved with a bare process.send echo ` +
    'to a forked Node (the baseline), after 200 warm-up pairs. host_idle_rss_mb: VmRSS of the host 1 s after the round trips. ' +
    'run_js_roundtrip: 250 sandbox/eval requests (after 50 warm-up) from a JSON-RPC client over IPC, as the extension sends them: host, worker, fresh QuickJS runtime, back. ' +
    (activationMs !== undefined ? 'activation_ms: time spent in the extension\'s activate() inside code-server\'s real extension host, median of 3 smoke runs.' : 'activation_ms: not measured in this run (needs code-server).');
  return { metrics, notes };
}

function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}
