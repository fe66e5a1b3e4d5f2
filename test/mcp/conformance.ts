import { spawnSync } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { ensureCodeServer, repoRoot } from '../vscode/codeServer';

/** The client scenarios of @modelcontextprotocol/conformance that apply to Keel (no OAuth yet). */
export const CLIENT_SCENARIOS = ['initialize', 'tools_call', 'elicitation-sep1034-client-defaults', 'sse-retry'] as const;

export interface ScenarioResult {
  readonly scenario: string;
  readonly passed: boolean;
  readonly checks: string;
  readonly output: string;
}

/** Runs one scenario with Node 24 (the suite needs Node ≥ 22; the code-server install ships it). */
export async function runConformanceScenario(scenario: string): Promise<ScenarioResult> {
  const { node } = await ensureCodeServer();
  const cli = join(repoRoot, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
  const client = `${node} --import tsx ${join(repoRoot, 'test', 'mcp', 'conformanceClient.ts')}`;
  const run = spawnSync(node, [cli, 'client', '--command', client, '--scenario', scenario, '--timeout', '30000'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  const output = stripVTControlCharacters(`${run.stdout}${run.stderr}`);
  return { scenario, passed: run.status === 0 && /OVERALL: PASSED/.test(output), checks: /Passed: \d+\/\d+[^\n]*/.exec(output)?.[0] ?? 'no result', output };
}
