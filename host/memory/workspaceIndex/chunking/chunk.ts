/** One searchable piece of a workspace file: a symbol (function, class, method…) or a window of lines. */
export interface Chunk {
  /** Workspace-relative, forward slashes. */
  readonly path: string;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  /** `parseConfig`, `Parser.parse`; absent for imports, top-level statements and plain line windows. */
  readonly symbol?: string;
  readonly language: string;
  /** The lines, with secrets redacted and very long lines cut. */
  readonly text: string;
}
