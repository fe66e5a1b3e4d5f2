/**
 * `keel run "<goal>"`: the same host code as in VS Code, headless, against a folder on disk. `keel audit verify`
 * checks an audit log's chain.
 * Exit codes: 0 succeeded (or help printed), 1 the run failed or was cancelled, 2 bad usage.
 * Everything it prints goes through the redactor: terminals are recorded (CI logs, screen shares).
 */
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as l10n from '@vscode/l10n';
import type { AskUserAnswer, RepeatChoice } from '../protocol/rpc';
import { visibleControls } from '../protocol/displayText';
import { editDiffLines } from '../protocol/run';
import type { SpanData } from '../protocol/trace';
import { parseCliArgs, usage, wantsHelp, type ApprovalMode } from './cli/args';
import { auditCommand } from './cli/audit';
import { runsCommand, undoCommand } from './cli/runs';
import { terminalHints } from './cli/hints';
import { guardProcess } from './processGuard';
import { renderTraceTree } from './cli/traceTree';
import { registerEnvSecrets } from './observability/knownSecrets';
import { startOtlpExport, teeSpans } from './observability/otlp';
import { otlpSettingsFromEnv } from './observability/otlpSettings';
import { redacted } from './observability/redaction';
import { AgentHost } from './agentHost';
import { parseStartRunParams, parseStartWorkflowParams } from './startRunParams';
import { HeadlessConsent, type Approver } from './governance/headlessConsent';
import { FsWorkspace } from './workspace/fsWorkspace';
import { cliMcpAuth, cliMcpServers, reportMcpServers } from './cli/mcpServers';
import { readAnswer } from './cli/terminal';
import { riskLabel, runStateLabel } from '../protocol/stateLabels';
import { bundleForLocales, loadTranslations, localesFromEnv } from './translations';

/** Writes `text` redacted, with VS Code advice turned into the CLI's flags and nothing that could drive the terminal. */
function print(stream: NodeJS.WriteStream, text: string): void {
  stream.write(terminalHints(visibleControls(redacted(text))));
}

const log = (message: string) => print(process.stderr, `${message}\n`);

/** The version spans are exported under (`service.version`). */
const CLI_VERSION = '0.1.0';

async function main(): Promise<number> {
  // OPENAI_API_KEY and the like are secrets wherever they turn up: a tool's output, a model's answer, an error.
  registerEnvSecrets(process.env);
  // The bundled CLI is dist/cli.js; the package's translations sit beside dist/, as VS Code reads them.
  loadTranslations(bundleForLocales(join(dirname(__filename), '..', 'l10n'), localesFromEnv(process.env)), log);
  const argv = process.argv.slice(2);
  if (argv[0] === 'audit') return auditCommand(argv.slice(1), (text) => print(process.stdout, text));
  if (argv[0] === 'runs') return runsCommand(argv.slice(1), (text) => print(process.stdout, text));
  if (argv[0] === 'undo') return undoCommand(argv.slice(1), (text) => print(process.stdout, text));
  if (wantsHelp(argv)) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  let options;
  try {
    options = parseCliArgs(argv, process.env);
  } catch (error) {
    log((error as Error).message);
    return 2;
  }
  guardProcess(log);
  const spans = new Map<string, SpanData>();
  // OTEL_EXPORTER_OTLP_ENDPOINT sends every span to a collector, as any OpenTelemetry SDK would.
  const telemetry = otlpSettingsFromEnv(process.env);
  const otlp = telemetry ? startOtlpExport({ ...telemetry, serviceVersion: CLI_VERSION, log }) : undefined;
  const host = new AgentHost(
    {
      workspace: new FsWorkspace(options.workspace),
      consent: new HeadlessConsent(options.workspace, approver(options.approvals)),
      spans: teeSpans((span) => {
        if (!spans.has(span.spanId)) print(process.stderr, `… ${span.name}\n`);
        spans.set(span.spanId, span);
      }, otlp?.sink),
      finished: () => undefined,
      log,
      ...(options.mcp ? { mcpAuth: cliMcpAuth(options.mcp, (text) => print(process.stderr, text), Boolean(process.stdin.isTTY && process.stderr.isTTY)) } : {}),
    },
    { root: options.workspace, roots: [{ uri: pathToFileURL(options.workspace).href, name: basename(options.workspace) }], storageDir: join(homedir(), '.cache', 'keel'), filesExclude: [] },
  );
  process.once('SIGINT', () => host.runs.cancelAll());
  if (options.mcp) {
    try {
      reportMcpServers(await host.setMcpServers(await cliMcpServers(options.mcp, options.workspace, process.env), options.models), log);
    } catch (error) {
      log((error as Error).message);
      await host.shutdown();
      return 2;
    }
  }
  let started;
  try {
    // Checked against the protocol's schema like a request from the extension, naming any field at fault.
    if (options.command === 'run') started = host.startRun(parseStartRunParams({ goal: options.goal, models: options.models, limits: options.limits, ...(options.agent ? { agent: options.agent } : {}) }));
    else if (options.command === 'workflow') started = await host.startWorkflow(parseStartWorkflowParams({ ...options.workflow, models: options.models, limits: options.limits }));
    else if (options.command === 'resume') started = await host.resumeRun(options.runId!, { models: options.models });
    else if (options.command === 'continue') started = await host.continueRun(options.runId!, options.message!, { models: options.models });
    else started = await host.retryFailed(options.runId!, { models: options.models });
  } catch (error) {
    log((error as Error).message);
    return 2;
  }
  const result = await started.done;
  await host.shutdown();
  await otlp?.shutdown();
  print(process.stdout, `${renderTraceTree(spans.values())}\n\n${runStateLabel(result.outcome)}: ${result.message}\n`);
  return result.outcome === 'succeeded' ? 0 : 1;
}

/** What a denial says when no person is asked: `--no` was given, or there is no terminal. */
interface Refusals {
  readonly byNo: string;
  readonly noTerminal: string;
}

function approver(mode: ApprovalMode): Approver {
  const decide = async (question: string, refusals: Refusals, signal: AbortSignal): Promise<{ decision: 'approved' } | { decision: 'denied'; reason: string }> => {
    if (mode === 'yes') return { decision: 'approved' };
    if (mode === 'no') return { decision: 'denied', reason: refusals.byNo };
    if (!process.stdin.isTTY) return { decision: 'denied', reason: refusals.noTerminal };
    // The answer is typed in English whatever the language of the question: y or yes.
    return /^y(es)?$/i.test(await readAnswer(`${question} [y/N] `, signal)) ? { decision: 'approved' } : { decision: 'denied', reason: l10n.t('the user said no') };
  };
  // Parallel subagents ask at the same time; the terminal takes one question, with its details, after another.
  let previous: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(ask: () => Promise<T>): Promise<T> => {
    const next = previous.then(ask, ask);
    previous = next.catch(() => undefined);
    return next;
  };
  const asker = (agent: string | undefined) => (agent ? `[${agent}] ` : '');
  return {
    edit: ({ edit, agent }, signal) => oneAtATime(() => {
      if (mode === 'ask' && process.stdin.isTTY) print(process.stderr, `\n${asker(agent)}${l10n.t('Proposed edit to {0} (line {1}):', edit.path, edit.range.start.line + 1)}\n${editDiffLines(edit)}\n`);
      return decide(l10n.t('Apply this edit?'), { byNo: l10n.t('edits are denied by --no'), noTerminal: l10n.t('no terminal to ask on; pass --yes to approve edits') }, signal);
    }),
    toolCall: (review, signal) => oneAtATime(() => {
      if (mode === 'ask' && process.stdin.isTTY) print(process.stderr, `\n${asker(review.agent)}${l10n.t('{0} (risk: {1})', review.title, riskLabel(review.risk))}\n${review.detail}\n`);
      return decide(l10n.t('Allow this call?'), { byNo: l10n.t('tool calls are denied by --no'), noTerminal: l10n.t('no terminal to ask on; pass --yes to approve tool calls') }, signal);
    }),
    // Whether to repeat what may have run is for a person to say: --yes and --no stop the run, repeating nothing.
    repeat: ({ title, detail, runId }, signal) => oneAtATime(async (): Promise<RepeatChoice> => {
      if (mode !== 'ask' || !process.stdin.isTTY) {
        print(process.stderr, `\n${title}\n${l10n.t('Only a person can say whether to run it again, so the run stops here; run "{0}" in a terminal to choose.', `keel retry ${runId}`)}\n`);
        return 'stop';
      }
      print(process.stderr, `\n${title}\n${detail}\n`);
      // r and s are typed in English whatever the language of the choices.
      const choices = l10n.t({ message: 'r: run it again, s: skip it and go on, Enter: stop the run', comment: ['The person types r or s: keep those letters.'] });
      const answer = (await readAnswer(`${choices} > `, signal)).toLowerCase();
      return /^r(un)?$/.test(answer) ? 'run' : /^s(kip)?$/.test(answer) ? 'skip' : 'stop';
    }),
    // Only a person at the terminal can answer; --yes and --no cannot, so the agent goes on without an answer.
    ask: (question, signal) => oneAtATime(async (): Promise<AskUserAnswer> => {
      if (mode !== 'ask' || !process.stdin.isTTY) return { action: 'decline' };
      const heading = question.kind === 'stuck' ? question.question : l10n.t('The agent asks: {0}', question.question);
      print(process.stderr, `\n${asker(question.agent)}${heading}\n${question.context ? `${question.context}\n` : ''}`);
      const prompt = question.kind === 'stuck'
        ? l10n.t({ message: 'Guidance (empty: no answer, "stop": stop the run):', comment: ['The person types stop: keep that word.'] })
        : l10n.t({ message: 'Answer (empty: no answer, "stop": stop the run):', comment: ['The person types stop: keep that word.'] });
      const text = await readAnswer(`${prompt} `, signal);
      return text === '' ? { action: 'decline' } : text.toLowerCase() === 'stop' ? { action: 'stop' } : { action: 'answer', text };
    }),
  };
}

main().then((code) => process.exit(code), (error) => {
  print(process.stderr, `${l10n.t({ message: 'keel: {0}', args: [String((error as Error).stack ?? error)], comment: ['An unexpected error: the program\'s name, then the error and where it happened.'] })}\n`);
  process.exit(1);
});
