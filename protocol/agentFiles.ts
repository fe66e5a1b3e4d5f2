/**
 * Where runnable agent definitions live and how their front matter is found, for the host (which runs them) and the
 * extension (which starts the runs their `triggers` declare) alike.
 */

/** VS Code's custom agents end in `.agent.md`; Keel's own folder comes first, so its names win. */
export const AGENT_FOLDERS = [
  { dir: '.keel/agents', suffix: '.md' },
  { dir: '.github/agents', suffix: '.agent.md' },
] as const;

/** The most definition files read from one folder. */
export const MAX_AGENT_FILES = 200;

/** A definition is read whole into the system prompt; past this it is not a definition but a document. */
export const MAX_AGENT_FILE_BYTES = 64 * 1024;

/** The front matter between two `---` lines at the top of the file; it starts on the file's second line. */
export const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n?---[ \t]*(?:\r?\n|$)/;
