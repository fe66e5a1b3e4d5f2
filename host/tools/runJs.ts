import { z } from 'zod';
import type { Sandbox } from '../sandbox';
import { zodArgs } from './argsSchema';
import { describeExecution, evalInSandbox, grantCapabilities } from './sandboxedRun';
import { defineTool } from './tool';

/**
 * `run_js`: JavaScript the agent writes, run in the QuickJS sandbox. It can read workspace files and fetch
 * allow-listed hosts, nothing else, so it needs no approval.
 */
export function runJsTool(getSandbox: () => Sandbox) {
  return defineTool({
    name: 'run_js',
    description:
      'Run JavaScript in an isolated sandbox (QuickJS; standard JS only, no Node or DOM APIs). The code is the body of an async ' +
      'function: use `return` for the result, `input` for the given input. Available: `await readFile(path)` and `await listFiles(glob)` ' +
      'for workspace files, `await fetch(url)` for allow-listed hosts (returns {status, headers, body}), and console.log. ' +
      'Limits: 64 MiB memory, 5 s.',
    risk: 'read',
    source: 'builtin',
    args: zodArgs(
      z
        .object({
          code: z.string().min(1).describe('The body of an async function, e.g. "const t = await readFile(input.path); return t.split(\'\\n\').length;"'),
          input: z.unknown().optional().describe('Any JSON value, visible to the code as `input`'),
        })
        .strict(),
    ),
    async run({ code, input }, { workspace, policy, span, signal }) {
      const capabilities = grantCapabilities(['readFile', 'listFiles', 'fetch'], workspace.root, policy.allowHosts);
      const result = await evalInSandbox(getSandbox(), { code, input, capabilities }, span, signal);
      const text = describeExecution(result);
      if (result.outcome !== 'ok') throw new Error(text);
      return text;
    },
  });
}
