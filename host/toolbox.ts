import * as l10n from '@vscode/l10n';
import type { AuditSink } from './governance/auditLog';
import { Hooks } from './governance/hooks';
import type { AgentMemory } from './memory/recall/agentMemory';
import { searchMemoryTool } from './tools/searchMemory';
import { WorkspaceMemory, type WorkspaceMemoryOptions } from './memory/workspaceIndex/workspaceMemory';
import { Sandbox } from './sandbox';
import { BUILTIN_TOOLS, runJsTool, ToolRegistry, ToolStats, UserTools, type Tool } from './tools';
import { CallPolicy } from './tools/callPolicy';

/** What the toolbox needs is what the workspace index needs (the folder, storage, hidden files, embedder, log), and the audit log hook files are recorded in. */
export type ToolboxOptions = WorkspaceMemoryOptions & { readonly audit?: AuditSink };

/**
 * Every tool a run may be offered, for the host process and the CLI alike: the built-ins, search_memory,
 * run_js and the workspace's `.keel/tools`. The sandbox and the workspace index start on first use.
 */
export class Toolbox {
  private sandboxInstance: Sandbox | undefined;
  /** The workspace index, for search_memory and for the user's searches. */
  readonly memory: WorkspaceMemory;
  private runMemory: Promise<AgentMemory> | undefined;
  /** Call counts across runs, for "Keel: Show Tools". */
  readonly stats = new ToolStats();
  /** Rate limits of outside services, shared by every run and subagent of the host. */
  private readonly callPolicy = new CallPolicy();
  private readonly userTools: UserTools;
  private readonly hooks: Hooks;
  private readonly own: Tool<never>[];
  /** Tool files that did not load and tools refused for a name already taken, as of the last registry. */
  problems: readonly string[] = [];

  constructor(private readonly options: ToolboxOptions) {
    this.userTools = new UserTools(() => this.sandbox(), options.log);
    this.hooks = new Hooks(() => this.sandbox(), options.log, options.audit);
    this.memory = new WorkspaceMemory(options);
    this.own = [...BUILTIN_TOOLS, searchMemoryTool(() => this.memory.index(), async (query, limit) => (await this.agentMemory()).searchRuns(query, limit)) as Tool<never>, runJsTool(() => this.sandbox()) as Tool<never>];
  }

  /** The tools for a run starting now, plus `extra` (MCP tools), behind the workspace's hooks as they are now. */
  async registry(extra: readonly Tool<never>[] = []): Promise<ToolRegistry> {
    const root = this.options.root();
    const user = root ? await this.userTools.load(root) : { tools: [], problems: [] };
    // Built-ins first, then user tools by file, then MCP tools by server: of two with one name, the first wins.
    const mcp = [...extra].sort((a, b) => a.source.localeCompare(b.source) || a.name.localeCompare(b.name));
    const registry = new ToolRegistry([...this.own, ...user.tools, ...mcp], this.stats, this.callPolicy);
    const hooks = await this.hooks.load(root);
    registry.hooks = hooks;
    const problems = [...user.problems, ...hooks.problems.map((p) => l10n.t('hook not loaded, so every run is refused until it is fixed: {0}', p)), ...registry.refused.map((r) => l10n.t('{0} from {1} is not offered: {2}.', r.name, r.source, r.reason))];
    for (const problem of problems) if (!this.problems.includes(problem)) this.options.log(`tool problem: ${problem}`);
    this.problems = problems;
    return registry;
  }

  /** What runs recall and remember (procedures, episodes, the index); its code loads with the first run. */
  agentMemory(): Promise<AgentMemory> {
    this.runMemory ??= import('./memory/recall/agentMemory').then(({ AgentMemory }) => new AgentMemory({ ...this.options, index: () => this.memory.index() }));
    return this.runMemory;
  }

  sandbox(): Sandbox {
    return (this.sandboxInstance ??= new Sandbox());
  }

  async dispose(): Promise<void> {
    await this.sandboxInstance?.dispose();
    await this.memory.dispose();
    await (await this.runMemory)?.dispose();
  }
}
