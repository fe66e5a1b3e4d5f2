/**
 * `npm run bench [-- <area>]`: runs the benchmarks and writes bench/results/<area>.json (see ../shared/BENCH.md).
 * Areas: host. activation_ms is read from KEEL_ACTIVATION_MS_FILE when the code-server suite wrote one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { benchHost } from './host';
import { writeResult } from './report';

const AREAS: Record<string, () => Promise<{ metrics: Record<string, { value: number; unit: string }>; notes: string }>> = {
  host: () => benchHost(activationFromSuite()),
};

function activationFromSuite(): number | undefined {
  const file = process.env.KEEL_ACTIVATION_MS_FILE;
  return file && existsSync(file) ? Number(readFileSync(file, 'utf8')) : undefined;
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
