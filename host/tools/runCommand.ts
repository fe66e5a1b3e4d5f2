import { spawn } from 'node:child_process';
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { zodArgs } from './argsSchema';
import { redacted } from '../observability/redaction';
import { childEnvironment } from './childEnv';
import { commandLaunch, sandboxNote } from '../governance/commandSandbox';
import { defineTool } from './tool';

const MAX_OUTPUT_CHARS = 64 * 1024;
const DEFAULT_TIMEOUT_S = 60;
/**
 * How long output may still arrive once the shell has exited. A background child (`daemon &`, `setsid …`) can hold
 * the pipes open for as long as it lives; the command is over when its shell is.
 */
const OUTPUT_GRACE_MS = 500;

export const runCommandTool = defineTool({
  name: 'run_command',
  description: 'Run a shell command in the workspace folder and return its exit code and output (stdout and stderr interleaved, capped). The user approves every command.',
  risk: 'execute',
  source: 'builtin',
  // The command has its own timeout (at most 600 s); the registry's only backs it up.
  timeoutMs: 610_000,
  args: zodArgs(
    z
      .object({
        command: z.string().min(1).describe('The command line, e.g. "npm test -- --grep parser"'),
        timeout_seconds: z.number().int().min(1).max(600).optional().describe(`Stop the command after this long (default ${DEFAULT_TIMEOUT_S})`),
      })
      .strict(),
  ),
  touches: ({ command }) => ({ command }),
  describeCall: ({ command }, policy) => `${l10n.t('Run `{0}` in the workspace?', command)} ${sandboxNote(policy.commandSandbox ?? 'auto', { network: policy.commandNetwork })}`,
  async run({ command, timeout_seconds }, { workspace, policy, span, signal }) {
    const timeoutMs = (timeout_seconds ?? DEFAULT_TIMEOUT_S) * 1000;
    const launch = commandLaunch(command, workspace.root, policy.commandSandbox ?? 'auto', { network: policy.commandNetwork });
    span.setAttributes({ 'keel.command.sandbox': launch.sandbox ?? 'none', 'keel.command.network': launch.network });
    return new Promise((resolve, reject) => {
      // The user approved this exact command line, shell included, so it runs as they would type it, but without
      // the host's credentials in its environment, and in the OS sandbox where there is one.
      const child = spawn(launch.file, [...launch.args], { cwd: workspace.root, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...childEnvironment(policy.passEnv ?? []), ...launch.env } });
      let output = '';
      let dropped = 0;
      const append = (chunk: Buffer) => {
        // Past the cap only the size counts: a command can print gigabytes, and decoding them would hold the thread.
        if (output.length >= MAX_OUTPUT_CHARS) {
          dropped += chunk.length;
          return;
        }
        const text = chunk.toString();
        const room = MAX_OUTPUT_CHARS - output.length;
        output += text.slice(0, Math.max(0, room));
        dropped += Math.max(0, text.length - room);
        // Redacted before it is cut: a tail that starts inside `NAME=value` no longer shows that the value is secret.
        span.setAttributes({ 'keel.command.output_tail': redacted(output).slice(-500) });
        span.update();
      };
      child.stdout.on('data', append);
      child.stderr.on('data', append);
      let stoppedBy: string | undefined;
      let exitCode: number | null = null;
      let graceTimer: NodeJS.Timeout | undefined;
      const stop = (why: string) => {
        stoppedBy ??= why;
        killGroup(child.pid);
        // Children that left the group (setsid) may still hold the pipes; stop waiting for them.
        graceTimer ??= setTimeout(finish, OUTPUT_GRACE_MS);
      };
      const timer = setTimeout(() => stop(`timed out after ${timeoutMs / 1000} s`), timeoutMs);
      const onAbort = () => stop('cancelled');
      signal.addEventListener('abort', onAbort, { once: true });
      let done = false;
      function finish() {
        if (done) return;
        done = true;
        launch.dispose();
        clearTimeout(timer);
        clearTimeout(graceTimer);
        signal.removeEventListener('abort', onAbort);
        child.stdout.destroy();
        child.stderr.destroy();
        if (signal.aborted) return reject(signal.reason);
        span.setAttributes({ 'keel.command.exit_code': exitCode ?? -1 });
        const tail = dropped > 0 ? `\n[${dropped} more characters of output were cut]` : '';
        const status = stoppedBy ? `The command was stopped: ${stoppedBy}.` : `Exit code ${exitCode}.`;
        resolve(`${status}\n${output}${tail}`);
      }
      child.on('error', (error) => {
        if (done) return;
        done = true;
        launch.dispose();
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(new Error(l10n.t('Could not start the command: {0}', error.message), { cause: error }));
      });
      child.on('exit', (code) => {
        exitCode = code;
        graceTimer ??= setTimeout(finish, OUTPUT_GRACE_MS);
      });
      child.on('close', finish);
    });
  },
});

/**
 * Kills a command's process group. It runs from timers and cancellation, where a throw would end the host, and
 * the group may already be gone (ESRCH) when the shell has exited and left only children of another session.
 */
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Nothing of the group is left to stop.
  }
}
