import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform } from 'node:os';
import { join } from 'node:path';

export interface Metric {
  readonly value: number;
  readonly unit: string;
  readonly lowerIsBetter?: boolean;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Writes bench/results/<area>.json in the shared format, with the machine it ran on. */
export function writeResult(area: string, metrics: Record<string, Metric>, notes: string): string {
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${area}.json`);
  const result = {
    area,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, os: platform() },
    metrics,
    notes,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
