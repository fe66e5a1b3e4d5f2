import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as l10n from '@vscode/l10n';
import type { RunListEntry } from '../../protocol/rpc';
import { AgentHost } from '../agentHost';
import { HeadlessConsent } from '../governance/headlessConsent';
import { FsWorkspace } from '../workspace/fsWorkspace';
import { synopsis } from './helpText';
import { runStateLabel } from '../../protocol/stateLabels';
import { readAnswer } from './terminal';

function runsUsage(): string {
  return `${synopsis(['keel runs [--workspace <dir>]'])}\n\n${l10n.t({
    message: `Lists a folder's runs, newest first: interrupted (resume one with \`keel resume <id>\`), failed (run one again from its
last good step with \`keel retry <id>\`), and ended ones (go on with \`keel continue <id> "<message>"\`, revert their
files with \`keel undo <id>\`). Runs another Keel is running now are left out.`,
    comment: ['The help of keel runs. Keep the commands in backquotes as they are; break lines at about 120 characters.'],
  })}`;
}

function undoUsage(): string {
  return `${synopsis(['keel undo <run id> [--workspace <dir>] [--yes]'])}\n\n${l10n.t({
    message: `Reverts the files an ended run changed (edits and new files; commands are not tracked) to what they were before it.
All or nothing: if any of them changed since the run, nothing is reverted. Asks first on a terminal; --yes skips the
question, and without a terminal it is needed.`,
    comment: ['The help of keel undo. Keep --yes as it is; break lines at about 120 characters.'],
  })}`;
}

/** `keel runs`: the Runs list of the Keel panel, for a terminal or a CI job. */
export async function runsCommand(argv: readonly string[], out: (text: string) => void): Promise<number> {
  let workspace: string;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { workspace: { type: 'string' } } });
    if (positionals.length > 0) throw new Error(l10n.t('Unexpected {0}.', positionals.join(' ')));
    workspace = resolve(values.workspace ?? process.cwd());
  } catch (error) {
    out(`${(error as Error).message}\n\n${runsUsage()}\n`);
    return 2;
  }
  const host = headlessHost(workspace);
  try {
    const runs = await host.listRuns(500);
    if (runs.length === 0) out(`${l10n.t('No runs for {0}.', workspace)}\n`);
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
    if (positionals.length !== 1) throw new Error(positionals.length === 0 ? l10n.t('Which run? Give its id (keel runs lists them).') : l10n.t('Unexpected {0}.', positionals.slice(1).join(' ')));
    [runId] = positionals as [string];
    workspace = resolve(values.workspace ?? process.cwd());
    yes = values.yes === true;
  } catch (error) {
    out(`${(error as Error).message}\n\n${undoUsage()}\n`);
    return 2;
  }
  const host = headlessHost(workspace);
  try {
    const run = (await host.listRuns(500)).find((entry) => entry.runId === runId);
    if (!run) {
      out(`${l10n.t('No run {0} is kept for {1}; keel runs lists them.', runId, workspace)}\n`);
      return 2;
    }
    if (run.filesChanged === 0) {
      out(`${l10n.t('Run {0} left no file changes to undo.', runId)}\n`);
      return 0;
    }
    const count = run.filesChanged;
    const names = (run.changedFiles ?? []).join(', ');
    if (!yes) {
      if (!process.stdin.isTTY) {
        out(`${count === 1
          ? l10n.t('Undoing run {0} reverts {1} file ({2}). There is no terminal to ask on: pass --yes to undo it.', runId, count, names)
          : l10n.t('Undoing run {0} reverts {1} files ({2}). There is no terminal to ask on: pass --yes to undo it.', runId, count, names)}\n`);
        return 2;
      }
      const question = count === 1
        ? l10n.t('Undo run {0}: revert {1} file ({2}) to what they were before it?', runId, count, names)
        : l10n.t('Undo run {0}: revert {1} files ({2}) to what they were before it?', runId, count, names);
      if (!(await ask(question))) {
        out(`${l10n.t('Nothing was undone.')}\n`);
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
  const refuse = async () => ({ decision: 'denied' as const, reason: l10n.t('nothing is approved while listing or undoing runs') });
  return new AgentHost(
    { workspace: new FsWorkspace(workspace), consent: new HeadlessConsent(workspace, { edit: refuse, toolCall: refuse }), spans: () => undefined, finished: () => undefined, log: () => undefined },
    { root: workspace, roots: [{ uri: pathToFileURL(workspace).href, name: basename(workspace) }], storageDir: join(homedir(), '.cache', 'keel'), filesExclude: [] },
  );
}

function runLine(run: RunListEntry): string {
  const files = run.filesChanged === 0 ? '' : `  ${run.filesChanged === 1 ? l10n.t('{0} file changed', 1) : l10n.t('{0} files changed', run.filesChanged)}`;
  const detail = (run.state === 'failed' || run.state === 'interrupted') && run.message ? `\n             ${oneLine(run.message)}` : '';
  return `${runStateLabel(run.state).padEnd(12)} ${run.runId}  ${l10n.t('{0} steps', run.steps)}${files}  ${oneLine(run.goal)}${detail}\n`;
}

async function askOnTerminal(question: string): Promise<boolean> {
  return /^y(es)?$/i.test(await readAnswer(`${question} [y/N] `));
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 100 ? `${line.slice(0, 97)}…` : line;
}
