/**
 * `npm run bench [-- <area>]`: runs the benchmarks and writes bench/results/<area>.json (see ../shared/BENCH.md).
 * Areas: host, tools, sandbox, models, memory, observability, governance, orchestration.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchGovernance } from './governance';
import { benchHost } from './host';
import { benchMemory } from './memory';
import { benchModels } from './models';
import { benchObservability } from './observability';
import { benchOrchestration } from './orchestration';
import { benchSandbox } from './sandbox';
import { benchTools } from './tools';
import { median } from './report';
import { writeResult } from './report';

const AREAS: Record<string, () => Promise<{ metrics: Record<string, { value: number; unit: string }>; notes: string }>> = {
  host: () => benchHost(activationInCodeServer()),
  tools: benchTools,
  sandbox: benchSandbox,
  models: benchModels,
  memory: benchMemory,
  observability: benchObservability,
  governance: benchGovernance,
  orchestration: benchOrchestration,
};

const ACTIVATION_RUNS = 3;

/** Activation can only be measured in real VS Code: the smoke tests run in code-server and report it. */
function activationInCodeServer(): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-'));
  const samples: number[] = [];
  for (let i = 0; i < ACTIVATION_RUNS; i++) {
    const file = join(dir, `activation-${i}.txt`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'test', 'vscode', 'runInCodeServer.ts')], {
      env: { ...process.env, KEEL_SUITE_GREP: 'smoke', KEEL_ACTIVATION_MS_FILE: file },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (run.status !== 0) {
      process.stderr.write('activation_ms: the code-server smoke run failed; leaving it out.\n');
      break;
    }
    samples.push(Number(readFileSync(file, 'utf8')));
  }
  rmSync(dir, { recursive: true, force: true });
  return samples.length ? median(samples) : undefined;
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((a) => !(a in AREAS));
  if (unknown.length) throw new Error(`Unknown bench area ${unknown.join(', ')}; known: ${Object.keys(AREAS).join(', ')}.`);
  for (const area of requested.length ? requested : Object.keys(AREAS)) {
    const { metrics, notes } = await AREAS[area]!();
    const file = writeResult(area, metrics, notes);
    process.stdout.write(`${area}: ${Object.entries(metrics).map(([k, m]) => `${k}=${m.value}${m.unit === 'ratio' ? '×' : ` ${m.unit}`}`).join(', ')}\n  → ${file}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
});
