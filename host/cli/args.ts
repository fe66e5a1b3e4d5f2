import { parseArgs } from 'node:util';
import type { ModelConfig } from '../../protocol/models';
import type { RunLimits } from '../../protocol/run';
import { validateGoal } from '../orchestration/runs';

export type ApprovalMode = 'ask' | 'yes' | 'no';

export interface CliOptions {
  readonly goal: string;
  readonly workspace: string;
  readonly models: ModelConfig;
  readonly limits: RunLimits;
  readonly approvals: ApprovalMode;
}

export const USAGE = `Usage: keel run "<goal>" [options]
       keel audit verify [--dir <folder>]
       keel --help

Runs one agent task headless against a folder and prints its trace.

Options:
  --workspace <dir>     the folder the agent works in (default: current directory)
  --provider <name>     ollama | openai (default: openai when OPENAI_API_KEY is set, else ollama)
  --model <name>        model name (default: qwen2.5-coder:7b for Ollama, gpt-4o-mini for OpenAI)
  --base-url <url>      server URL (default: http://127.0.0.1:11434 or https://api.openai.com/v1)
  --max-steps <n>       most model calls in the run (default: 12)
  --timeout <seconds>   most time one model call may take (default: 120)
  --yes                 approve every proposed edit without asking
  --no                  deny every proposed edit without asking
  -h, --help            print this help
Without --yes or --no, edits are asked about on the terminal; with no terminal they are denied.
The OpenAI key is read from OPENAI_API_KEY.`;

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
      timeout: { type: 'string' },
      yes: { type: 'boolean' },
      no: { type: 'boolean' },
    },
  });
  const [command, goal, ...extra] = positionals;
  if (command !== 'run' || goal === undefined || extra.length > 0) throw new Error(USAGE);
  if (values.yes && values.no) throw new Error('Use either --yes or --no, not both.');
  const provider = values.provider ?? (env.OPENAI_API_KEY ? 'openai' : 'ollama');
  if (provider !== 'ollama' && provider !== 'openai') throw new Error(`Unknown provider "${provider}"; use ollama or openai.`);
  return {
    goal: validateGoal(goal),
    workspace: values.workspace ?? process.cwd(),
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
    limits: { maxSteps: positiveNumber(values['max-steps'] ?? '12', '--max-steps'), approvalTimeoutMs: 10 * 60_000 },
    approvals: values.yes ? 'yes' : values.no ? 'no' : 'ask',
  };
}

function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number, not "${text}".`);
  return value;
}
