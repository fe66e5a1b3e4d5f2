/**
 * `keel run "<goal>"`: the same host code as in VS Code, headless, against a folder on disk.
 * Exit codes: 0 succeeded, 1 the run failed or was cancelled, 2 bad usage.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { ProposedEdit } from '../protocol/run';
import type { SpanData } from '../protocol/trace';
import { parseCliArgs, type ApprovalMode } from './cli/args';
import { guardProcess } from './processGuard';
import { renderTraceTree } from './cli/traceTree';
import { RouterCache } from './models';
import { RunManager } from './orchestration/runs';
import { Toolbox } from './toolbox';
import { FsWorkspace, type Approver } from './workspace/fsWorkspace';

async function main(): Promise<number> {
  let options;
  try {
    options = parseCliArgs(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  guardProcess((message) => process.stderr.write(`${message}\n`));
  const storageDir = join(homedir(), '.cache', 'keel');
  const toolbox = new Toolbox({
    root: () => options.workspace,
    storageDir: () => storageDir,
    log: (message) => process.stderr.write(`${message}\n`),
  });
  const spans = new Map<string, SpanData>();
  const models = new RouterCache({ storageDir: () => storageDir, log: (message) => process.stderr.write(`${message}\n`) });
  const runs = new RunManager({
    workspace: new FsWorkspace(options.workspace, approver(options.approvals)),
    models,
    memory: () => toolbox.agentMemory(),
    tools: () => toolbox.registry(),
    spans: (span) => {
      if (!spans.has(span.spanId)) process.stderr.write(`… ${span.name}\n`);
      spans.set(span.spanId, span);
    },
    finished: () => undefined,
    log: (message) => process.stderr.write(`${message}\n`),
  });
  process.once('SIGINT', () => runs.cancelAll());
  let started;
  try {
    started = runs.start({ goal: options.goal, models: options.models, limits: options.limits });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const result = await started.done;
  await Promise.all([toolbox.dispose(), models.flush()]);
  process.stdout.write(`${renderTraceTree(spans.values())}\n\n${result.outcome}: ${result.message}\n`);
  return result.outcome === 'succeeded' ? 0 : 1;
}

function approver(mode: ApprovalMode): Approver {
  const decide = async (what: string, question: string, signal: AbortSignal): Promise<{ decision: 'approved' } | { decision: 'denied'; reason: string }> => {
    if (mode === 'yes') return { decision: 'approved' };
    if (mode === 'no') return { decision: 'denied', reason: `${what} are denied by --no` };
    if (!process.stdin.isTTY) return { decision: 'denied', reason: `no terminal to ask on; pass --yes to approve ${what}` };
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`${question} [y/N] `, { signal });
      return /^y(es)?$/i.test(answer.trim()) ? { decision: 'approved' } : { decision: 'denied', reason: 'the user said no' };
    } finally {
      rl.close();
    }
  };
  return {
    edit: ({ edit }, signal) => {
      if (mode === 'ask' && process.stdin.isTTY) process.stderr.write(`\nProposed edit to ${edit.path} (line ${edit.range.start.line + 1}):\n${diffLines(edit)}\n`);
      return decide('edits', 'Apply this edit?', signal);
    },
    toolCall: (review, signal) => {
      if (mode === 'ask' && process.stdin.isTTY) process.stderr.write(`\n${review.title} (risk: ${review.risk})\n${review.detail}\n`);
      return decide('tool calls', 'Allow this call?', signal);
    },
  };
}

function diffLines(edit: ProposedEdit): string {
  const minus = edit.oldText.split('\n').map((l) => `- ${l}`);
  const plus = edit.newText.split('\n').map((l) => `+ ${l}`);
  return [...minus, ...plus].join('\n');
}

main().then((code) => process.exit(code), (error) => {
  process.stderr.write(`keel: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
