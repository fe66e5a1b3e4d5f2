/**
 * Memory's public surface: the workspace index (semantic memory), episodes and procedures, and recall of all
 * three for a new task. Working memory (the prompt of each model call) is orchestration's.
 */
export { WorkspaceIndex, DEFAULT_EXCLUDES, type WorkspaceIndexOptions, type UpdateOptions, type UpdateResult, type SearchOptions, type IndexStats } from './workspaceIndex';
export type { SearchHit } from './chunkDb';
export type { Chunk } from './chunk';
export { QuerySyntaxError } from './query';
export { EpisodeStore, type Episode } from './episodes';
export { ProcedureLibrary, type Procedure, type RelevantProcedure, type TaskContext } from './procedures';
export { openWorkspaceIndex } from './openWorkspaceIndex';
export { recall, RECALL_PRIORITY, type ContextSection, type Recalled, type RecallRequest, type RecallSources, type RecallOptions, type RecallSource } from './recall';
