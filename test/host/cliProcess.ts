import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The built headless CLI the host tests drive. */
export const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

/** Runs the CLI (the built one, or a copy at `cli`) with only PATH and `env`; stdin is not a terminal here, as in CI. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cli = CLI): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
