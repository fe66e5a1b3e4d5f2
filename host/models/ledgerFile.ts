import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const totalsSchema = z.object({
  calls: z.number().int().min(0),
  inputTokens: z.number().min(0),
  outputTokens: z.number().min(0),
  costUsd: z.number().min(0),
});
const ledgerSchema = z.object({
  version: z.literal(1),
  day: z.string(),
  total: totalsSchema,
  byAgent: z.record(z.string(), totalsSchema),
  byModel: z.record(z.string(), totalsSchema),
});

export type Totals = z.infer<typeof totalsSchema>;
/** One local calendar day of model spending, as stored in `usage-<day>.json`. */
export type DayLedger = z.infer<typeof ledgerSchema>;

export function emptyTotals(): Totals {
  return { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
}

export function emptyLedger(day: string): DayLedger {
  return { version: 1, day, total: emptyTotals(), byAgent: {}, byModel: {} };
}

function ledgerPath(dir: string, day: string): string {
  return join(dir, `usage-${day}.json`);
}

/**
 * Reads a day's ledger. A missing file is a day without spending. A corrupt one must not stop the host, and
 * must not be overwritten either (it is the only record of that spending), so it is kept under a new name.
 */
export async function loadDayLedger(dir: string, day: string, log: (message: string) => void): Promise<DayLedger> {
  const file = ledgerPath(dir, day);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log(`Could not read the usage ledger ${file} (${(error as Error).message}); today's spending starts from zero.`);
    return emptyLedger(day);
  }
  let problem: string;
  try {
    const parsed = ledgerSchema.safeParse(JSON.parse(text));
    if (parsed.success && parsed.data.day === day) return parsed.data;
    problem = parsed.success ? `it is for ${parsed.data.day}` : 'its fields are not a usage ledger';
  } catch (error) {
    problem = `it is not valid JSON: ${(error as Error).message}`;
  }
  const kept = `${file}.corrupt-${Date.now()}`;
  await rename(file, kept).catch(() => undefined);
  log(`The usage ledger ${file} was unreadable (${problem}). It was kept as ${kept}, and today's spending starts from zero, so the daily budget may allow more than intended today.`);
  return emptyLedger(day);
}

/**
 * Saves ledgers without blocking model calls: writes are queued, at most one runs at a time, and a ledger
 * changed while a write is under way is written once more afterwards. Each write replaces the file atomically.
 */
export class LedgerWriter {
  private queue: Promise<void> = Promise.resolve();
  /** By day, so a write queued just before midnight is not lost to the next day's ledger. */
  private readonly pending = new Map<string, DayLedger>();
  private warned = false;

  constructor(private readonly dir: string, private readonly log: (message: string) => void) {}

  save(ledger: DayLedger): void {
    const alreadyQueued = this.pending.size > 0;
    this.pending.set(ledger.day, ledger);
    if (!alreadyQueued) this.queue = this.queue.then(() => this.writePending());
  }

  /** Resolves when everything saved so far is on disk. */
  flush(): Promise<void> {
    return this.queue;
  }

  private async writePending(): Promise<void> {
    const ledgers = [...this.pending.values()];
    this.pending.clear();
    for (const ledger of ledgers) {
      const file = ledgerPath(this.dir, ledger.day);
      try {
        await mkdir(this.dir, { recursive: true });
        await writeFile(`${file}.tmp`, `${JSON.stringify(ledger, null, 2)}\n`);
        await rename(`${file}.tmp`, file);
      } catch (error) {
        if (!this.warned) this.log(`Could not save the usage ledger ${file} (${(error as Error).message}); spending is still counted until the host restarts.`);
        this.warned = true;
      }
    }
  }
}
