import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import type { Sandbox } from '../sandbox';
import { zodArgs } from './argsSchema';
import { describeExecution, evalInSandbox, grantCapabilities } from './sandboxedRun';
import { defineTool, type ToolPolicy } from './tool';

/**
 * `run_js`: JavaScript the agent writes, run in the QuickJS sandbox. It reads workspace files and needs no approval;
 * only when it asks for the network (`network: true`) can it send what it read somewhere, so then the user is asked
 * first, shown the code and where it may send.
 */
export function runJsTool(getSandbox: () => Sandbox) {
  return defineTool({
    name: 'run_js',
    description:
      'Run JavaScript in an isolated sandbox (QuickJS; standard JS only, no Node or DOM APIs). The code is the body of an async ' +
      'function: use `return` for the result, `input` for the given input. Available: `await readFile(path)` and `await listFiles(glob)` ' +
      'for workspace files, and console.log. With `network: true`, also `await fetch(url)` for allow-listed hosts (returns ' +
      '{status, headers, body}); the user is asked first. Limits: 64 MiB memory, 5 s.',
    risk: 'read',
    source: 'builtin',
    args: zodArgs(
      z
        .object({
          code: z.string().min(1).describe('The body of an async function, e.g. "const t = await readFile(input.path); return t.split(\'\\n\').length;"'),
          input: z.unknown().optional().describe('Any JSON value, visible to the code as `input`'),
          network: z.boolean().optional().describe('Give the code fetch() to allow-listed hosts; the user approves the call first'),
        })
        .strict(),
    ),
    riskOf: ({ network }) => (network ? 'network' : 'read'),
    touches: () => ({ folders: ['.'] }),
    // The code itself is in the question's details.
    describeCall: (_args, policy) => l10n.t('Run JavaScript that can read any workspace file and send data to {0}?', hostsOf(policy)),
    async run({ code, input, network }, { workspace, policy, span, signal }) {
      if (network && policy.allowHosts.length === 0) {
        throw new Error(l10n.t('No host is allow-listed for fetching, so {0} cannot be granted. The user can add hosts to the {1} setting.', 'network: true', '"keel.network.allowHosts"'));
      }
      const capabilities = grantCapabilities(network ? ['readFile', 'listFiles', 'fetch'] : ['readFile', 'listFiles'], workspace.root, policy.allowHosts);
      const result = await evalInSandbox(getSandbox(), { code, input, capabilities }, span, signal);
      const text = describeExecution(result);
      if (result.outcome !== 'ok') throw new Error(text);
      return text;
    },
  });
}

function hostsOf(policy: ToolPolicy): string {
  return policy.allowHosts.join(', ') || l10n.t('no host (none is allow-listed)');
}
