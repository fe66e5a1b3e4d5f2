/** The words of a parsed command line, as the parser (`commandLine.ts`), its wrappers and the policy's rules see them. */

/** One word of a command as the shell would see it: its value when Keel can know it, else its source text. */
export interface Word {
  readonly text: string;
  /** A variable, a substitution, a brace expansion or an ANSI-C string: its value is known only when it runs. */
  readonly dynamic: boolean;
}

/** One simple command: `NAME=value` prefixes, then the command name and its arguments. */
export interface SimpleCommand {
  readonly assignments: readonly Word[];
  readonly words: readonly Word[];
  /** For messages: the command as written (or as a wrapper runs it). */
  readonly source: string;
}
