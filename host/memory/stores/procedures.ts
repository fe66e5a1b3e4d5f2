import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { create, insertMultiple, search, type Orama } from '@orama/orama';
import { minimatch } from 'minimatch';
import { walkWorkspace } from '../../workspace/fileWalk';
import { createCodeTokenizer } from '../ranking/codeTokenizer';
import { parseFrontMatter, splitList } from './frontMatter';
import { BM25_RELEVANCE, wholeTokenIndex } from '../ranking/wholeTokenIndex';

/** Instruction files other agents already read, and Keel's own playbooks. */
const PROCEDURE_FILES = '{**/AGENTS.md,**/CLAUDE.md,.github/copilot-instructions.md,.keel/playbooks/*.md,.keel/agents/*.md,.github/agents/*.agent.md}';
const MAX_FILES = 200;
/** Bounded like read_file's output: these go into the model's context. */
const MAX_TEXT_CHARS = 12_000;
const DEFAULT_MAX_PLAYBOOKS = 3;
/** A playbook without triggers is chosen by text when it scores at least this share of the best match. */
const RELATIVE_SCORE_FLOOR = 0.5;

export interface Procedure {
  /** Workspace-relative. */
  readonly path: string;
  /** `agent`: an agent definition (`.keel/agents/*.md`, VS Code's `.github/agents/*.agent.md`), chosen like a playbook. */
  readonly kind: 'agents' | 'claude' | 'copilot' | 'playbook' | 'agent';
  /** The folder it applies to, '' for the whole workspace: an AGENTS.md in a subfolder applies there. */
  readonly scope: string;
  readonly title: string;
  /** Front matter `globs:`: the playbook applies when a file the task touches matches one. */
  readonly globs: readonly string[];
  /** Front matter `when:`: the playbook applies when the goal mentions one of these words or phrases. */
  readonly when: readonly string[];
  /** The Markdown after the front matter. */
  readonly text: string;
}

export interface RelevantProcedure extends Procedure {
  /** Why it was chosen, for the trace and for the user. */
  readonly reason: string;
}

export interface TaskContext {
  readonly goal: string;
  /** Workspace-relative paths the task is about (open editor, files named in the goal, files touched so far). */
  readonly files?: readonly string[];
}

/**
 * Procedural memory: the workspace's instruction files and playbooks, of which a task gets the relevant ones
 * rather than all. Repository-wide instructions always apply; a nested AGENTS.md or CLAUDE.md when the task's
 * files are in its folder; a playbook when its `globs` match the files or its `when` words are in the goal, or,
 * for a playbook with neither, when its text matches the goal best (BM25).
 */
export class ProcedureLibrary {
  private constructor(
    readonly procedures: readonly Procedure[],
    private readonly untriggered: Orama<{ title: 'string'; text: 'string' }>,
  ) {}

  /** Finds and reads the procedure files under `root`, honouring .gitignore and .keelignore. */
  static async load(root: string, signal?: AbortSignal): Promise<ProcedureLibrary> {
    const { files } = await walkWorkspace(root, { glob: PROCEDURE_FILES, limit: MAX_FILES, signal });
    const procedures = await Promise.all(files.map(async (path) => toProcedure(path, await readFile(join(root, path), 'utf8'))));
    const untriggered = create({ schema: { title: 'string', text: 'string' } as const, components: { tokenizer: createCodeTokenizer(), index: wholeTokenIndex } });
    await insertMultiple(
      untriggered,
      procedures.flatMap((p, i) => (isChosenByTask(p) && !p.globs.length && !p.when.length ? [{ id: String(i), title: p.title, text: p.text }] : [])),
    );
    return new ProcedureLibrary(procedures, untriggered);
  }

  /** The procedures that apply to a task, repository-wide instructions first, then at most `maxPlaybooks` playbooks. */
  async relevant(task: TaskContext, maxPlaybooks = DEFAULT_MAX_PLAYBOOKS): Promise<RelevantProcedure[]> {
    const files = task.files ?? [];
    const instructions: RelevantProcedure[] = [];
    const triggered: RelevantProcedure[] = [];
    for (const procedure of this.procedures) {
      const reason = isChosenByTask(procedure) ? triggerReason(procedure, task.goal, files) : scopeReason(procedure, task.goal, files);
      if (reason) (isChosenByTask(procedure) ? triggered : instructions).push({ ...procedure, reason });
    }
    const room = Math.max(0, maxPlaybooks - triggered.length);
    const byText = room > 0 ? await this.matchingText(task.goal, room) : [];
    return [...instructions, ...triggered.slice(0, maxPlaybooks), ...byText];
  }

  private async matchingText(goal: string, limit: number): Promise<RelevantProcedure[]> {
    const { hits } = await search(this.untriggered, { term: goal, properties: ['title', 'text'], boost: { title: 2 }, limit, relevance: BM25_RELEVANCE });
    const best = hits[0]?.score ?? 0;
    return hits.filter((h) => h.score >= best * RELATIVE_SCORE_FLOOR).map((h) => ({ ...this.procedures[Number(h.id)]!, reason: 'its text matches the goal' }));
  }
}

function toProcedure(path: string, content: string): Procedure {
  const { fields, body } = parseFrontMatter(content);
  const name = basename(path);
  const kind = path.startsWith('.keel/playbooks/') ? 'playbook'
    : path.startsWith('.keel/agents/') || path.startsWith('.github/agents/') ? 'agent'
    : name === 'AGENTS.md' ? 'agents' : name === 'CLAUDE.md' ? 'claude' : 'copilot';
  const folder = dirname(path);
  const heading = /^#\s+(.+)$/m.exec(body)?.[1]?.trim();
  // An agent definition says in its `description` what it is for; that is what a goal should match.
  const description = fields.get('description')?.join(' ');
  const full = description ? `${description}\n\n${body}` : body;
  const text = full.length > MAX_TEXT_CHARS ? `${full.slice(0, MAX_TEXT_CHARS)}\n[truncated: ${path} has ${full.length} characters; read_file shows the rest]` : full;
  return {
    path,
    kind,
    scope: kind === 'agents' || kind === 'claude' ? (folder === '.' ? '' : folder) : '',
    title: fields.get('title')?.[0] ?? fields.get('name')?.[0] ?? heading ?? name.replace(/\.md$/, ''),
    globs: (fields.get('globs') ?? []).flatMap(splitList),
    when: (fields.get('when') ?? []).flatMap(splitList),
    text,
  };
}

function scopeReason(procedure: Procedure, goal: string, files: readonly string[]): string | undefined {
  if (!procedure.scope) return 'applies to the whole workspace';
  const file = files.find((f) => f.startsWith(`${procedure.scope}/`));
  if (file) return `applies to ${procedure.scope}/, which holds ${file}`;
  return goal.includes(procedure.scope) ? `applies to ${procedure.scope}/, which the goal names` : undefined;
}

function triggerReason(procedure: Procedure, goal: string, files: readonly string[]): string | undefined {
  for (const glob of procedure.globs) {
    const file = files.find((f) => minimatch(f, glob, { dot: true, matchBase: !glob.includes('/') }));
    if (file) return `${file} matches ${glob}`;
  }
  const words = procedure.when.find((w) => new RegExp(`(^|\\W)${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|\\W)`, 'i').test(goal));
  return words ? `the goal mentions "${words}"` : undefined;
}

/** Playbooks and agent definitions apply when the task calls for them; instruction files by where they sit. */
function isChosenByTask(procedure: Procedure): boolean {
  return procedure.kind === 'playbook' || procedure.kind === 'agent';
}
