/** Memory's public surface: the workspace index (semantic memory), its search tool, episodes and procedures. */
export { WorkspaceIndex, DEFAULT_EXCLUDES, type WorkspaceIndexOptions, type UpdateOptions, type UpdateResult, type SearchOptions, type IndexStats } from './workspaceIndex';
export type { SearchHit } from './chunkDb';
export type { Chunk } from './chunk';
export type { Embedder } from './embedder';
export { QuerySyntaxError } from './query';
export { searchMemoryTool } from './searchMemoryTool';
export { EpisodeStore, type Episode } from './episodes';
export { ProcedureLibrary, type Procedure, type RelevantProcedure, type TaskContext } from './procedures';
export { openWorkspaceIndex } from './openWorkspaceIndex';
