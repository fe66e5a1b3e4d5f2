import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runJournalsDir } from '../../protocol/node/runJournals';
import { DeadLetterQueue } from '../orchestration/durable/deadLetters';
import { RunStore } from '../orchestration/durable/runStore';

export const RUNS_USAGE = `Usage: keel runs [--workspace <dir>]

Lists the runs of a folder that a stopped Keel left unfinished (resume one with \`keel resume <id>\`) and the runs that
failed (run one again from its last good step with \`keel retry <id>\`).`;

/** `keel runs`: what the Keel panel shows as interrupted and failed runs, for a terminal or a CI job. */
export async function runsCommand(argv: readonly string[], out: (text: string) => void): Promise<number> {
  let workspace: string;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { workspace: { type: 'string' } } });
    if (positionals.length > 0) throw new Error(`Unexpected ${positionals.join(' ')}.`);
    workspace = resolve(values.workspace ?? process.cwd());
  } catch (error) {
    out(`${(error as Error).message}\n\n${RUNS_USAGE}\n`);
    return 2;
  }
  const dir = runJournalsDir(join(homedir(), '.cache', 'keel'), workspace);
  const unfinished = await new RunStore(dir).unfinished(new Set());
  const failed = await new DeadLetterQueue(dir).list();
  if (unfinished.length === 0 && failed.length === 0) {
    out(`No interrupted or failed runs for ${workspace}.\n`);
    return 0;
  }
  for (const run of unfinished) out(`interrupted  ${run.runId}  ${run.steps} steps  ${oneLine(run.goal)}${run.problem ? `\n             cannot be resumed: ${run.problem}` : ''}\n`);
  for (const task of failed) out(`failed       ${task.runId}  ${task.steps} steps  ${oneLine(task.goal)}\n             ${oneLine(task.message)}\n`);
  return 0;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 100 ? `${line.slice(0, 97)}…` : line;
}
