/**
 * Memory's public surface: the workspace index (semantic memory), episodes and procedures, recall
 * of all three for a new task, and working memory (the context builder).
 */
export { WorkspaceIndex, DEFAULT_EXCLUDES, type WorkspaceIndexOptions, type UpdateOptions, type UpdateResult, type SearchOptions, type IndexStats } from './workspaceIndex';
export type { SearchHit } from './chunkDb';
export type { Chunk } from './chunk';
export { QuerySyntaxError } from './query';
export { EpisodeStore, type Episode } from './episodes';
export { ProcedureLibrary, type Procedure, type RelevantProcedure, type TaskContext } from './procedures';
export { openWorkspaceIndex } from './openWorkspaceIndex';
export { recall, RECALL_PRIORITY, type Recalled, type RecallRequest, type RecallSources, type RecallOptions, type RecallSource } from './recall';
export {
  ContextBuilder,
  contextAttributes,
  type ContextBuilderOptions,
  type ContextInput,
  type ContextSection,
  type BuiltContext,
  type ContextReport,
  type ContextPart,
  type CompactionReport,
} from './contextBuilder';
export { summaryRequest, type Summarizer } from './compaction';
export { loadTokenCounter, type TokenCounter } from './tokens';
