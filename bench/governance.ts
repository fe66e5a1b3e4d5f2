/**
 * Governance area: what a policy decision costs (a compound command line through the bash parser and the rules of
 * three levels, and a plain tool decision), what one audit record costs with its data sync, and what the OS sandbox
 * adds to starting a command.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../host/governance/auditLog';
import { bubblewrapWorks, commandLaunch } from '../host/governance/commandSandbox';
import type { PolicyLevel } from '../host/governance/policy/policyLevels';
import { RunPolicy, type CallFacts } from '../host/governance/policy/runPolicy';
import { median, round, type Metric } from './report';

const DECISION_WARMUP = 500;
const DECISION_RUNS = 5000;
const AUDIT_RUNS = 300;
const COMMAND_WARMUP = 5;
const COMMAND_RUNS = 60;

/** A realistic policy: an administrator's denials, the user's budget and autopilot, the team's rules in the workspace. */
const LEVELS: readonly PolicyLevel[] = [
  { level: 'managed', source: '/etc/keel/policy.jsonc', hash: 'm', document: { default: { commands: { deny: ['curl *', 'wget *', 'ssh *', 'sudo *'] }, tools: { deny: ['mcp__*__delete_*'] } } } },
  { level: 'user', source: 'setting keel.policy', hash: 'u', document: { default: { autonomy: 'autopilot', budgets: { usdPerRun: 2 }, commands: { ask: ['git push *'] } } } },
  {
    level: 'workspace',
    source: '.keel/policy.jsonc',
    hash: 'w',
    document: {
      default: {
        autonomy: 'autopilot',
        tools: { allow: ['read_file', 'search_files', 'create_file', 'mcp__github__*'] },
        commands: { allow: ['git status', 'git diff *', 'git log *', 'npm test *', 'npm run lint *', 'tee *', 'grep *', 'ls *'], deny: ['rm -rf *', 'git push --force*'] },
        paths: { write: ['src/**', 'test/**', 'out/**'] },
      },
    },
  },
];

const COMPOUND: CallFacts = { tool: 'run_command', risk: 'execute', command: 'git status && npm test -- --grep parser 2>&1 | tee out/test.log' };
const PLAIN: CallFacts = { tool: 'create_file', risk: 'write', writes: ['src/parser.ts'] };

export async function benchGovernance(): Promise<{ metrics: Record<string, Metric>; notes: string }> {
  // Every figure here moves with what else the machine does; the note says how busy it was.
  const load = loadavg()[0]!;
  const policy = new RunPolicy(LEVELS, { agent: 'keel', restricted: false });
  const compound = await decisions(policy, COMPOUND);
  const plain = await decisions(policy, PLAIN);
  const audit = await auditAppends();
  const metrics: Record<string, Metric> = {
    policy_decision_p50_us: { value: round(median(compound) * 1000, 1), unit: 'µs', lowerIsBetter: true },
    policy_tool_decision_p50_us: { value: round(median(plain) * 1000, 1), unit: 'µs', lowerIsBetter: true },
    audit_append_p50_ms: { value: round(median(audit.appends)), unit: 'ms', lowerIsBetter: true },
    fdatasync_floor_p50_ms: { value: round(median(audit.floor)), unit: 'ms', lowerIsBetter: true },
  };
  let sandboxNote = 'sandboxed_command_overhead_ms is left out: bubblewrap does not work on this machine.';
  if (process.platform === 'linux' && bubblewrapWorks()) {
    const { sandboxed, networked, plain: unsandboxed } = await commandStarts();
    metrics.sandboxed_command_overhead_ms = { value: round(median(sandboxed) - median(unsandboxed)), unit: 'ms', lowerIsBetter: true };
    metrics.sandboxed_networked_command_overhead_ms = { value: round(median(networked) - median(unsandboxed)), unit: 'ms', lowerIsBetter: true };
    metrics.unsandboxed_command_p50_ms = { value: round(median(unsandboxed)), unit: 'ms', lowerIsBetter: true };
    sandboxNote =
      `sandboxed_command_overhead_ms: p50 of \`true\` started through bubblewrap as commands run by default (commandLaunch with "auto": ` +
      'read-only root, private /tmp, hidden credential folders, own PID namespace and, where it works, its own network namespace) ' +
      `minus p50 of the same \`/bin/sh -c true\` unsandboxed; sandboxed_networked: the same with the network a rule's network: true grants ` +
      `(no network namespace). ${COMMAND_RUNS} runs of each after ${COMMAND_WARMUP} warm-up rounds, interleaved; spawn to exit.`;
  }
  const notes =
    `policy_decision: RunPolicy.decide for run_command "${COMPOUND.command}" under three levels (managed denials, a user ask rule, the ` +
    'workspace\'s allow and deny rules and write scope): the line is parsed with tree-sitter\'s bash grammar, its three commands and ' +
    `the redirect target checked against every level, on autopilot the verdict is allow. policy_tool_decision: create_file with a path ` +
    `in the write scope. ${DECISION_RUNS} decisions each after ${DECISION_WARMUP} warm-up. audit_append: AuditLog.append of a tool_call ` +
    `record on a temp folder, including the redaction, the chained SHA-256, the write, fdatasync and the head file, ${AUDIT_RUNS} appends ` +
    'one after another, each followed by fdatasync_floor: one line written and data-synced on an already open file in the same folder, ' +
    'the least any durable append can cost on this disk (it varies by an order of magnitude with what else the machine writes). ' +
    `${sandboxNote} The machine's load average when the run started: ${load.toFixed(1)} on ${cpus().length} cores.`;
  return { metrics, notes };
}

async function decisions(policy: RunPolicy, call: CallFacts): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < DECISION_WARMUP + DECISION_RUNS; i++) {
    const start = performance.now();
    const decision = await policy.decide(call);
    const ms = performance.now() - start;
    if (decision.verdict !== 'allow') throw new Error(`The bench policy should allow ${call.tool}, but: ${decision.reason}`);
    if (i >= DECISION_WARMUP) samples.push(ms);
  }
  return samples;
}

/** Appends to the audit log, interleaved with the disk's own floor: a plain write and fdatasync on an open file. */
async function auditAppends(): Promise<{ appends: number[]; floor: number[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'keel-bench-audit-'));
  const log = new AuditLog(dir);
  const raw = await open(join(dir, 'floor.txt'), 'a');
  const appends: number[] = [];
  const floor: number[] = [];
  try {
    for (let i = 0; i < AUDIT_RUNS; i++) {
      let start = performance.now();
      await log.append({ kind: 'tool_call', runId: 'bench', tool: 'run_command', risk: 'execute', arguments: `{"command":"npm test -- --grep case${i}"}` });
      appends.push(performance.now() - start);
      start = performance.now();
      await raw.write(`{"seq":${i},"kind":"tool_call","arguments":"npm test -- --grep case${i}"}\n`);
      await raw.datasync();
      floor.push(performance.now() - start);
    }
    const verified = await log.verify();
    if (!verified.ok || verified.records !== AUDIT_RUNS) throw new Error(`The bench's audit log does not verify: ${JSON.stringify(verified)}`);
  } finally {
    await raw.close();
    await rm(dir, { recursive: true, force: true });
  }
  return { appends, floor };
}

async function commandStarts(): Promise<{ sandboxed: number[]; networked: number[]; plain: number[] }> {
  const root = await mkdtemp(join(tmpdir(), 'keel-bench-cmd-'));
  const sandboxed: number[] = [];
  const networked: number[] = [];
  const plain: number[] = [];
  try {
    for (let i = 0; i < COMMAND_WARMUP + COMMAND_RUNS; i++) {
      const inSandbox = await timeCommand(root, 'auto', false);
      const withNetwork = await timeCommand(root, 'auto', true);
      const outside = await timeCommand(root, 'off', false);
      if (i >= COMMAND_WARMUP) {
        sandboxed.push(inSandbox);
        networked.push(withNetwork);
        plain.push(outside);
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return { sandboxed, networked, plain };
}

function timeCommand(root: string, mode: 'auto' | 'off', network: boolean): Promise<number> {
  const launch = commandLaunch('true', root, mode, { network });
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(launch.file, [...launch.args], { cwd: root, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`${launch.file} exited with ${code}`))));
  });
}
