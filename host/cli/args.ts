import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as l10n from '@vscode/l10n';
import type { ModelConfig } from '../../protocol/models';
import type { RunLimits } from '../../protocol/run';
import { AGENT_NAME_PATTERN } from '../../protocol/rpc';
import { validateGoal } from '../orchestration/runs';
import { optionTable, synopsis } from './helpText';

export type ApprovalMode = 'ask' | 'yes' | 'no';

export interface CliOptions {
  /** `run` starts a new run; `workflow` runs a workflow file; `resume` goes on with an unfinished one, `retry` with a failed one, by id. */
  readonly command: 'run' | 'workflow' | 'resume' | 'retry' | 'continue';
  /** The goal of a new run; empty for `resume` and `retry`, whose goal is in their journal. */
  readonly goal: string;
  readonly runId?: string;
  /** `continue`: the follow-up the ended run goes on with. */
  readonly message?: string;
  readonly workspace: string;
  readonly models: ModelConfig;
  readonly limits: RunLimits;
  readonly approvals: ApprovalMode;
  readonly mcp?: CliMcpOptions;
  /** The agent definition to run (`.keel/agents/<name>.md`, `.github/agents/<name>.agent.md`). */
  readonly agent?: string;
  /** `keel workflow FILE`: the file relative to the workspace, and the script's `input`. */
  readonly workflow?: { readonly path: string; readonly input?: unknown };
}

/** MCP servers for a headless run, and the OAuth client credentials for those that ask for a sign-in. */
export interface CliMcpOptions {
  readonly configFile: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly privateKeyFile?: string;
  /** The authorization server the client credentials may go to. */
  readonly issuer?: string;
  /** `disk`: tokens kept for the next run (a 0600 file per server); `memory`: forgotten when the run ends. */
  readonly credentials: 'disk' | 'memory';
}

/** What `keel --help` prints, made when it is printed so that it is in the locale's language. */
export function usage(): string {
  return [
    synopsis([
      'keel run "<goal>" [options]',
      'keel workflow <file.js> [--input <json>] [options]',
      'keel runs [--workspace <dir>]',
      'keel resume <run id> [options]',
      'keel retry <run id> [options]',
      'keel continue <run id> "<message>" [options]',
      'keel undo <run id> [--workspace <dir>] [--yes]',
      'keel audit verify [--dir <folder>]',
      'keel --help',
    ]),
    '',
    l10n.t({
      message: `Runs one agent task headless against a folder and prints its trace. \`keel runs\` lists the folder's runs: those
interrupted (resume them with \`keel resume <id>\`), failed (run them again from their last good step with
\`keel retry <id>\`) and ended (go on with a follow-up with \`keel continue <id> "<message>"\`); these take the
model options below. \`keel undo <id>\` reverts the files an ended run changed, after asking (or with --yes). \`keel workflow\` runs a workflow script (such as
.keel/workflows/review.js) as a durable run: resume it like any run.`,
      comment: ['The help of the keel command line. Keep the commands in backquotes and the flags as they are; break lines at about 120 characters.'],
    }),
    '',
    l10n.t('Options:'),
    optionTable([
      ['--workspace <dir>', l10n.t('the folder the agent works in (default: current directory)')],
      ['--provider <name>', l10n.t('ollama | openai (default: openai when OPENAI_API_KEY is set, else ollama)')],
      ['--model <name>', l10n.t('model name (default: {0} for Ollama, {1} for OpenAI)', 'qwen2.5-coder:7b', 'gpt-4o-mini')],
      ['--base-url <url>', l10n.t('server URL (default: {0} or {1})', 'http://127.0.0.1:11434', 'https://api.openai.com/v1')],
      ['--agent <name>', l10n.t('run the agent defined in {0} or {1}', '.keel/agents/<name>.md', '.github/agents/<name>.agent.md')],
      ['--input <json>', l10n.t('a workflow\'s input: JSON, or else the text itself')],
      ['--max-steps <n>', l10n.t('most model calls in the run (default: {0})', 12)],
      ['--max-parallel <n>', l10n.t('subagents working at once (default: {0}; 0 turns delegation off)', 4)],
      ['--timeout <seconds>', l10n.t('most time one model call may take (default: {0})', 120)],
      ['--yes', l10n.t('approve every proposed edit without asking')],
      ['--no', l10n.t('deny every proposed edit without asking')],
      ['--mcp <file>', l10n.t('MCP servers from a file (.vscode/mcp.json\'s "servers" or the "mcpServers" format)')],
      ['--mcp-client-id <id>', l10n.t('OAuth client ID for servers that ask for a sign-in (client credentials; or {0})', 'KEEL_MCP_CLIENT_ID')],
      ['--mcp-private-key <pem-file>', l10n.t('sign as that client with a private key (private_key_jwt; or {0})', 'KEEL_MCP_PRIVATE_KEY_FILE')],
      ['--mcp-issuer <url>', l10n.t('send those credentials only to this authorization server (or {0})', 'KEEL_MCP_ISSUER')],
      ['--mcp-credentials <disk|memory>', l10n.t('keep OAuth tokens for the next run in {0} (default) or not', '~/.cache/keel/mcp-credentials')],
      ['-h, --help', l10n.t('print this help')],
    ], 20),
    l10n.t('Without --yes or --no, edits are asked about on the terminal; with no terminal they are denied.'),
    l10n.t('The OpenAI key is read from {0}, an MCP client secret from {1}.', 'OPENAI_API_KEY', 'KEEL_MCP_CLIENT_SECRET'),
    l10n.t('An MCP server that asks for a sign-in without client credentials prints its sign-in URL on a terminal.'),
  ].join('\n');
}

/** Whether the command line asks for the usage (`--help`, `-h`, `keel help`); arguments after `--` are the goal's. */
export function wantsHelp(argv: readonly string[]): boolean {
  const options = argv.indexOf('--') === -1 ? argv : argv.slice(0, argv.indexOf('--'));
  return argv[0] === 'help' || options.some((arg) => arg === '--help' || arg === '-h');
}

/** Parses the command line; throws a message with the usage for anything it does not understand. */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      workspace: { type: 'string' },
      provider: { type: 'string' },
      model: { type: 'string' },
      'base-url': { type: 'string' },
      'max-steps': { type: 'string' },
      agent: { type: 'string' },
      input: { type: 'string' },
      'max-parallel': { type: 'string' },
      timeout: { type: 'string' },
      yes: { type: 'boolean' },
      no: { type: 'boolean' },
      mcp: { type: 'string' },
      'mcp-client-id': { type: 'string' },
      'mcp-private-key': { type: 'string' },
      'mcp-credentials': { type: 'string' },
      'mcp-issuer': { type: 'string' },
    },
  });
  const [command, target, ...extra] = positionals;
  const [message, ...rest] = command === 'continue' ? extra : [undefined, ...extra];
  if ((command !== 'run' && command !== 'workflow' && command !== 'resume' && command !== 'retry' && command !== 'continue') || target === undefined || rest.length > 0) throw new Error(usage());
  if (command === 'continue' && !message?.trim()) throw new Error(l10n.t('keel continue needs the follow-up after the run id, e.g. keel continue <id> "Now add a test".'));
  if (values.input !== undefined && command !== 'workflow') throw new Error(l10n.t('{0} is for {1}.', '--input', '`keel workflow`'));
  if (values.yes && values.no) throw new Error(l10n.t('Use either --yes or --no, not both.'));
  const provider = values.provider ?? (env.OPENAI_API_KEY ? 'openai' : 'ollama');
  if (provider !== 'ollama' && provider !== 'openai') throw new Error(l10n.t('Unknown provider "{0}"; use ollama or openai.', provider));
  const workspace = resolve(values.workspace ?? process.cwd());
  return {
    command,
    goal: command === 'run' ? validateGoal(target) : '',
    ...(command === 'resume' || command === 'retry' || command === 'continue' ? { runId: target } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(command === 'workflow' ? { workflow: { path: workflowPath(workspace, target), ...(values.input !== undefined ? { input: inputValue(values.input) } : {}) } } : {}),
    workspace,
    models: {
      router: { attemptTimeoutSeconds: Math.ceil(positiveNumber(values.timeout ?? '120', '--timeout')) },
      defaultModel: {
        provider,
        baseUrl: values['base-url'] ?? (provider === 'ollama' ? 'http://127.0.0.1:11434' : 'https://api.openai.com/v1'),
        model: values.model ?? (provider === 'ollama' ? 'qwen2.5-coder:7b' : 'gpt-4o-mini'),
        ...(provider === 'openai' && env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY } : {}),
      },
      apiKeys: {},
    },
    limits: { maxSteps: positiveNumber(values['max-steps'] ?? '12', '--max-steps'), approvalTimeoutMs: 10 * 60_000, ...(values['max-parallel'] !== undefined ? { maxParallel: count(values['max-parallel'], '--max-parallel') } : {}) },
    approvals: values.yes ? 'yes' : values.no ? 'no' : 'ask',
    ...(values.mcp ? { mcp: mcpOptions(values.mcp, values, env) } : {}),
    ...(values.agent !== undefined ? { agent: agentName(values.agent) } : {}),
  };
}

function mcpOptions(configFile: string, values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): CliMcpOptions {
  const credentials = (values['mcp-credentials'] as string | undefined) ?? 'disk';
  if (credentials !== 'disk' && credentials !== 'memory') throw new Error(l10n.t('{0} is disk or memory, not "{1}".', '--mcp-credentials', credentials));
  // A secret on the command line would show in the process list, so it comes from the environment only.
  const clientId = (values['mcp-client-id'] as string | undefined) ?? env.KEEL_MCP_CLIENT_ID;
  const clientSecret = env.KEEL_MCP_CLIENT_SECRET;
  const privateKeyFile = (values['mcp-private-key'] as string | undefined) ?? env.KEEL_MCP_PRIVATE_KEY_FILE;
  const issuer = (values['mcp-issuer'] as string | undefined) ?? env.KEEL_MCP_ISSUER;
  if ((clientSecret || privateKeyFile) && !clientId) throw new Error(l10n.t('An MCP client secret or private key needs its client ID: pass {0} or set {1}.', '--mcp-client-id', 'KEEL_MCP_CLIENT_ID'));
  return {
    configFile,
    credentials,
    ...(clientId ? { clientId } : {}),
    ...(clientSecret ? { clientSecret } : {}),
    ...(privateKeyFile ? { privateKeyFile } : {}),
    ...(issuer ? { issuer } : {}),
  };
}

/** A workflow file as the host takes it: relative to the workspace (the host refuses one outside it). */
function workflowPath(workspace: string, file: string): string {
  return isAbsolute(file) ? relative(workspace, file) : file;
}

/** `--input` is JSON when it parses as JSON, and otherwise the text as given. */
function inputValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function agentName(name: string): string {
  if (!AGENT_NAME_PATTERN.test(name)) throw new Error(l10n.t('{0} needs an agent\'s name (letters, digits, "_", "." or "-"), not "{1}".', '--agent', name));
  return name;
}

function count(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 64) throw new Error(l10n.t('{0} needs a whole number from {1} to {2}, not "{3}".', flag, 0, 64, text));
  return value;
}

function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(l10n.t('{0} needs a positive number, not "{1}".', flag, text));
  return value;
}
