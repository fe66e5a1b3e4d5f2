/**
 * Memory's public surface. One folder per capability:
 * - `workspaceIndex/`: the workspace's files as searchable chunks (semantic memory), kept up to date over the host's
 *   lifetime and served to the extension; `workspaceIndex/chunking/` turns files into chunks on worker threads;
 * - `ranking/`: the code tokenizer and whole-token BM25, which the index and the stores share, and the index's vectors;
 * - `stores/`: episodes (past runs) and procedures (AGENTS.md, playbooks, agent definitions);
 * - `recall/`: what a run is reminded of as it starts, and the fence that marks such text as untrusted.
 * Working memory, the prompt of each model call, is orchestration's.
 *
 * Types may come from here freely. Code that loads with the host imports values straight from their modules
 * instead: importing this file loads the index with Orama and tree-sitter, which should wait for the first search.
 */
export { WorkspaceIndex, DEFAULT_EXCLUDES, type WorkspaceIndexOptions, type UpdateOptions, type UpdateResult, type SearchOptions, type IndexStats } from './workspaceIndex/workspaceIndex';
export type { SearchHit } from './workspaceIndex/chunkDb';
export type { Chunk } from './workspaceIndex/chunking/chunk';
export { QuerySyntaxError } from './workspaceIndex/query';
export { openWorkspaceIndex } from './workspaceIndex/openWorkspaceIndex';
export { WorkspaceMemory, type WorkspaceMemoryOptions } from './workspaceIndex/workspaceMemory';
export { serveMemory, type MemorySettings } from './workspaceIndex/serveMemory';
export { EpisodeStore, type Episode } from './stores/episodes';
export { ProcedureLibrary, type Procedure, type RelevantProcedure, type TaskContext } from './stores/procedures';
export { recall, RECALL_PRIORITY, type ContextSection, type Recalled, type RecallRequest, type RecallSources, type RecallOptions, type RecallSource } from './recall/recall';
export { AgentMemory, type AgentMemoryOptions } from './recall/agentMemory';
export { untrustedFence, untrustedText } from './recall/untrusted';
