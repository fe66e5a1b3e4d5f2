import { spawnSync } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { ensureCodeServer, repoRoot } from '../vscode/codeServer';

/** Every client scenario of @modelcontextprotocol/conformance 0.1.16 (`conformance list`), OAuth's included. */
export const CLIENT_SCENARIOS = [
  'initialize', 'tools_call', 'elicitation-sep1034-client-defaults', 'sse-retry',
  'auth/metadata-default', 'auth/metadata-var1', 'auth/metadata-var2', 'auth/metadata-var3', 'auth/basic-cimd',
  'auth/scope-from-www-authenticate', 'auth/scope-from-scopes-supported', 'auth/scope-omitted-when-undefined',
  'auth/scope-step-up', 'auth/scope-retry-limit',
  'auth/token-endpoint-auth-basic', 'auth/token-endpoint-auth-post', 'auth/token-endpoint-auth-none', 'auth/pre-registration',
  'auth/2025-03-26-oauth-metadata-backcompat', 'auth/2025-03-26-oauth-endpoint-fallback',
  'auth/resource-mismatch', 'auth/offline-access-scope', 'auth/offline-access-not-supported',
  'auth/client-credentials-jwt', 'auth/client-credentials-basic',
] as const;

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
