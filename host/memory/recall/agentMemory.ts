import type { Span } from '../../observability/tracer';
import { EpisodeStore, type Episode } from '../stores/episodes';
import { workspaceStorage } from '../workspaceIndex/openWorkspaceIndex';
import { ProcedureLibrary } from '../stores/procedures';
import { recall, type ContextSection } from './recall';
import type { WorkspaceIndex } from '../workspaceIndex/workspaceIndex';

export interface AgentMemoryOptions {
  /** The workspace folder, when one is open. */
  readonly root: () => string | undefined;
  readonly storageDir: () => string;
  /** The workspace index, shared with search_memory and the user's searches. */
  readonly index: () => Promise<WorkspaceIndex>;
  readonly log: (message: string) => void;
}

/**
 * What runs remember and are reminded of: each finished run becomes an episode of its workspace, and a new task
 * starts with the procedures, past runs and code that bear on it.
 */
export class AgentMemory {
  private episodes: { folder: string; store: Promise<EpisodeStore> } | undefined;

  constructor(private readonly options: AgentMemoryOptions) {}

  /** Prompt sections for a new task, each source traced as a `retrieval` span under `span`. Never throws. */
  async recall(goal: string, span: Span, signal: AbortSignal): Promise<readonly ContextSection[]> {
    const root = this.options.root();
    const recalled = await recall({ goal, span, signal }, {
      procedures: async () => (root ? ProcedureLibrary.load(root, signal) : undefined),
      episodes: async () => (root ? this.episodeStore(root) : undefined),
      index: async () => (root ? this.options.index() : undefined),
    });
    return recalled.sections;
  }

  /** Earlier runs in the open folder whose goal best matches `query`; undefined when no folder is open. */
  async searchRuns(query: string, limit: number): Promise<readonly Episode[] | undefined> {
    const root = this.options.root();
    return root ? (await this.episodeStore(root)).search(query, limit) : undefined;
  }

  /** Stores a finished run; a failure to write costs the episode, never the run. */
  async remember(episode: Episode): Promise<void> {
    const root = this.options.root();
    if (!root) return;
    try {
      await (await this.episodeStore(root)).record(episode);
    } catch (error) {
      this.options.log(`episode of run ${episode.runId} not stored: ${(error as Error).message}`);
    }
  }

  async dispose(): Promise<void> {
    await (await this.episodes?.store.catch(() => undefined))?.close();
  }

  private episodeStore(folder: string): Promise<EpisodeStore> {
    if (this.episodes?.folder !== folder) {
      const store = EpisodeStore.open(workspaceStorage(this.options.storageDir(), folder));
      // A store that failed to open is opened again next time rather than cached.
      store.catch(() => (this.episodes = undefined));
      this.episodes = { folder, store };
    }
    return this.episodes.store;
  }
}
