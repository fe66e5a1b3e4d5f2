import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunListEntry } from '../../protocol/rpc';
import { AgentHost } from '../agentHost';
import { HeadlessConsent } from '../governance/headlessConsent';
import { FsWorkspace } from '../workspace/fsWorkspace';
import { readAnswer } from './terminal';

export const RUNS_USAGE = `Usage: keel runs [--workspace <dir>]

Lists a folder's runs, newest first: interrupted (resume one with \`keel resume <id>\`), failed (run one again from its
last good step with \`keel retry <id>\`), and ended ones (go on with \`keel continue <id> "<message>"\`, revert their
files with \`keel undo <id>\`). Runs another Keel is running now are left out.`;

export const UNDO_USAGE = `Usage: keel undo <run id> [--workspace <dir>] [--yes]

Reverts the files an ended run changed (edits and new files; commands are not tracked) to what they were before it.
All or nothing: if any of them changed since the run, nothing is reverted. Asks first on a terminal; --yes skips the
question, and without a terminal it is needed.`;

/** `keel runs`: the Runs list of the Keel panel, for a terminal or a CI job. */
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
  const host = headlessHost(workspace);
  try {
    const runs = await host.listRuns(500);
    if (runs.length === 0) out(`No runs for ${workspace}.\n`);
    for (const run of runs) out(runLine(run));
    return 0;
  } finally {
    await host.shutdown();
  }
}

/** `keel undo <id>`: reverts an ended run's files once the user said yes (a terminal question, or --yes). */
export async function undoCommand(argv: readonly string[], out: (text: string) => void, ask: (question: string) => Promise<boolean> = askOnTerminal): Promise<number> {
  let workspace: string;
  let runId: string;
  let yes: boolean;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { workspace: { type: 'string' }, yes: { type: 'boolean' } } });
    if (positionals.length !== 1) throw new Error(positionals.length === 0 ? 'Which run? Give its id (keel runs lists them).' : `Unexpected ${positionals.slice(1).join(' ')}.`);
    [runId] = positionals as [string];
    workspace = resolve(values.workspace ?? process.cwd());
    yes = values.yes === true;
  } catch (error) {
    out(`${(error as Error).message}\n\n${UNDO_USAGE}\n`);
    return 2;
  }
  const host = headlessHost(workspace);
  try {
    const run = (await host.listRuns(500)).find((entry) => entry.runId === runId);
    if (!run) {
      out(`No run ${runId} is kept for ${workspace}; keel runs lists them.\n`);
      return 2;
    }
    if (run.filesChanged === 0) {
      out(`Run ${runId} left no file changes to undo.\n`);
      return 0;
    }
    const files = `${run.filesChanged} file${run.filesChanged === 1 ? '' : 's'} (${(run.changedFiles ?? []).join(', ')})`;
    if (!yes) {
      if (!process.stdin.isTTY) {
        out(`Undoing run ${runId} reverts ${files}. There is no terminal to ask on: pass --yes to undo it.\n`);
        return 2;
      }
      if (!(await ask(`Undo run ${runId}: revert ${files} to what they were before it?`))) {
        out('Nothing was undone.\n');
        return 1;
      }
    }
    const result = await host.runs.undo(runId);
    out(`${result.message}\n`);
    return result.undone ? 0 : 1;
  } catch (error) {
    out(`${(error as Error).message}\n`);
    return 2;
  } finally {
    await host.shutdown();
  }
}

/** The host over the folder's files and Keel's storage, as `keel run` builds it; it asks nobody anything. */
function headlessHost(workspace: string): AgentHost {
  const refuse = async () => ({ decision: 'denied' as const, reason: 'nothing is approved while listing or undoing runs' });
  return new AgentHost(
    { workspace: new FsWorkspace(workspace), consent: new HeadlessConsent(workspace, { edit: refuse, toolCall: refuse }), spans: () => undefined, finished: () => undefined, log: () => undefined },
    { root: workspace, roots: [{ uri: pathToFileURL(workspace).href, name: basename(workspace) }], storageDir: join(homedir(), '.cache', 'keel'), filesExclude: [] },
  );
}

function runLine(run: RunListEntry): string {
  const files = run.filesChanged > 0 ? `  ${run.filesChanged} file${run.filesChanged === 1 ? '' : 's'} changed` : '';
  const detail = (run.state === 'failed' || run.state === 'interrupted') && run.message ? `\n             ${oneLine(run.message)}` : '';
  return `${run.state.padEnd(12)} ${run.runId}  ${run.steps} steps${files}  ${oneLine(run.goal)}${detail}\n`;
}

async function askOnTerminal(question: string): Promise<boolean> {
  return /^y(es)?$/i.test(await readAnswer(`${question} [y/N] `));
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 100 ? `${line.slice(0, 97)}…` : line;
}
