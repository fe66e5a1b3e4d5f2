/**
 * Tools area: MCP conformance (client scenarios), fuzzing the registry with invalid arguments, and the registry's
 * added cost per call (validation, policy, stats, span) against calling the implementation directly.
 */
import { ApprovalBroker } from '../host/governance/approvals';
import { startTrace } from '../host/observability/tracer';
import { ToolRegistry, type Tool, type ToolContext } from '../host/tools';
import { zodArgs } from '../host/tools/argsSchema';
import { z } from 'zod';
import { instrumentedTools } from '../test/fuzz/instrumentedTools';
import { invalidArguments } from '../test/fuzz/invalidArguments';
import { CLIENT_SCENARIOS, runConformanceScenario } from '../test/mcp/conformance';
import { median, round, type Metric } from './report';

const FUZZ_PER_TOOL = 2000;
const OVERHEAD_CALLS = 5000;

export async function benchTools(): Promise<{ metrics: Record<string, Metric>; notes: string }> {
  const approve = async () => ({ decision: 'approved' as const });
  const approvals = new ApprovalBroker({ reviewEdit: approve, reviewToolCall: approve, approveBudget: async () => true, elicit: async () => ({ action: 'decline' as const }), confirmRepeat: async () => 'stop' as const, askUser: async () => ({ action: 'stop' as const }) }, 1000);
  const root = startTrace(() => undefined, 'bench', 'invoke_agent');
  const context: ToolContext = { runId: 'bench', policy: { allowHosts: [] }, workspace: undefined as never, approvals, span: root, signal: new AbortController().signal };

  const results = [];
  for (const scenario of CLIENT_SCENARIOS) results.push(await runConformanceScenario(scenario));

  const { tools, reached } = instrumentedTools();
  const fuzzRegistry = new ToolRegistry(tools);
  let fuzzCalls = 0;
  for (const tool of tools) {
    for (const args of invalidArguments(tool.args.jsonSchema, FUZZ_PER_TOOL, 7)) {
      await fuzzRegistry.call({ id: String(fuzzCalls++), name: tool.name, arguments: args }, context);
    }
  }

  // A read tool whose work is trivial, so what is measured is the registry's own cost.
  const lookup: Tool<{ key: string; limit?: number }> = {
    name: 'lookup', description: 'bench', risk: 'read', source: 'builtin',
    args: zodArgs(z.object({ key: z.string().min(1), limit: z.number().int().optional() }).strict()),
    run: async ({ key }) => key,
  };
  const registry = new ToolRegistry([lookup as Tool<never>]);
  const direct: number[] = [];
  const viaRegistry: number[] = [];
  for (let i = 0; i < OVERHEAD_CALLS + 500; i++) {
    const args = { key: `k${i}`, limit: 3 };
    let start = performance.now();
    await lookup.run(args, context);
    const d = performance.now() - start;
    start = performance.now();
    await root.within('execute_tool lookup', 'execute_tool', { 'gen_ai.tool.name': 'lookup' }, (span) => registry.call({ id: String(i), name: 'lookup', arguments: args }, { ...context, span }));
    const r = performance.now() - start;
    if (i >= 500) {
      direct.push(d);
      viaRegistry.push(r);
    }
  }

  const passed = results.filter((r) => r.passed).length;
  return {
    metrics: {
      mcp_conformance_passed: { value: passed, unit: 'scenarios' },
      mcp_conformance_total: { value: results.length, unit: 'scenarios' },
      fuzz_calls: { value: fuzzCalls, unit: 'calls' },
      fuzz_reached_impl: { value: reached(), unit: 'calls', lowerIsBetter: true },
      tool_call_overhead_p50_ms: { value: round(median(viaRegistry) - median(direct), 4), unit: 'ms', lowerIsBetter: true },
      tool_call_registry_p50_ms: { value: round(median(viaRegistry), 4), unit: 'ms', lowerIsBetter: true },
      tool_call_direct_p50_ms: { value: round(median(direct), 4), unit: 'ms', lowerIsBetter: true },
    },
    notes: `Conformance: @modelcontextprotocol/conformance client scenarios ${CLIENT_SCENARIOS.join(', ')} against test/mcp/conformanceClient.ts (Keel's McpManager and registry), run with Node 24 (${results.map((r) => `${r.scenario}: ${r.checks}`).join('; ')}). ` +
      `Fuzz: ${FUZZ_PER_TOOL} invalid argument objects per tool (one mutation of a valid example each: not an object, required key dropped, wrong type, unknown key on strict schemas) for read_file, propose_edit and an MCP-style JSON schema validated by Ajv; implementations count calls. ` +
      `Overhead: ${OVERHEAD_CALLS} calls of a trivial read tool, direct vs through an execute_tool span and the registry (validation, policy, stats), interleaved after 500 warm-up pairs; the metric is the difference of the medians.`,
  };
}
