import * as l10n from '@vscode/l10n';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser, type Tree } from '@vscode/tree-sitter-wasm';

/**
 * The languages Keel parses, named after their grammar files (`tree-sitter-<name>.wasm`): source files into symbols,
 * and shell command lines (`bash`) for governance's command rules.
 */
export type GrammarName = 'typescript' | 'tsx' | 'javascript' | 'python' | 'bash';

/**
 * Parses source text with VS Code's tree-sitter grammars (WebAssembly, so no native build). The runtime and each
 * grammar load once, on first use.
 */
export class SyntaxParsers {
  private readonly parsers = new Map<GrammarName, Promise<Parser>>();

  /** @param wasmDir where `tree-sitter.wasm` and the grammar files are; see {@link defaultWasmDir}. */
  constructor(private readonly wasmDir = defaultWasmDir()) {}

  /**
   * @param timeoutMs stop parsing after this long (some inputs take the parser a second): the promise then rejects
   * with {@link ParseTimeout}.
   */
  async parse(grammar: GrammarName, text: string, timeoutMs?: number): Promise<Tree> {
    const parser = await this.parserFor(grammar);
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    const tree = parser.parse(text, null, deadline === undefined ? undefined : { progressCallback: () => performance.now() > deadline });
    if (!tree) {
      // A cancelled parse would otherwise resume with the next text.
      parser.reset();
      if (deadline !== undefined && performance.now() > deadline) throw new ParseTimeout(l10n.t('tree-sitter did not parse the {0} text within {1} ms.', grammar, String(timeoutMs)));
      throw new Error(l10n.t('tree-sitter returned no tree for a {0} file.', grammar));
    }
    return tree;
  }

  private parserFor(grammar: GrammarName): Promise<Parser> {
    let parser = this.parsers.get(grammar);
    if (!parser) {
      parser = this.load(grammar);
      this.parsers.set(grammar, parser);
    }
    return parser;
  }

  private async load(grammar: GrammarName): Promise<Parser> {
    try {
      await initRuntime(this.wasmDir);
      const parser = new Parser();
      parser.setLanguage(await Language.load(join(this.wasmDir, `tree-sitter-${grammar}.wasm`)));
      return parser;
    } catch (error) {
      throw new Error(l10n.t('Could not load the tree-sitter {0} grammar from {1} ({2}). Reinstall Keel, or run {3} in a development checkout.', grammar, this.wasmDir, (error as Error).message, 'npm install'), { cause: error });
    }
  }
}

/** A parse given a time limit did not finish within it. */
export class ParseTimeout extends Error {}

const shared = new Map<string, SyntaxParsers>();

/**
 * The process's parsers for a grammar folder. A grammar loaded into the runtime stays there (web-tree-sitter cannot
 * unload one), so every index in the process, however often it is reopened, shares these.
 */
export function sharedSyntaxParsers(wasmDir = defaultWasmDir()): SyntaxParsers {
  let parsers = shared.get(wasmDir);
  if (!parsers) {
    parsers = new SyntaxParsers(wasmDir);
    shared.set(wasmDir, parsers);
  }
  return parsers;
}

// The WebAssembly runtime is one per process, whatever the number of parsers.
let runtime: Promise<void> | undefined;

function initRuntime(wasmDir: string): Promise<void> {
  runtime ??= Parser.init({ locateFile: (file: string) => join(wasmDir, file) });
  return runtime;
}

/**
 * The bundle ships the grammars in `tree-sitter/` beside it (esbuild.mjs copies them); from source, they come from
 * the `@vscode/tree-sitter-wasm` package.
 */
export function defaultWasmDir(): string {
  const shipped = join(__dirname, 'tree-sitter');
  if (existsSync(shipped)) return shipped;
  return dirname(createRequire(__filename).resolve('@vscode/tree-sitter-wasm'));
}
