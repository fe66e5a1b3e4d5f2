// Bundles every target Keel ships or tests: `node esbuild.mjs [--watch] [--production]`.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {esbuild.BuildOptions} */
const base = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
};

/** @type {esbuild.BuildOptions} */
// jsonc-parser's UMD build requires its modules dynamically, which a bundle cannot follow; its ESM build can.
const node = { ...base, platform: 'node', target: 'node20', format: 'cjs', mainFields: ['module', 'main'] };

/**
 * The tokenizer's o200k ranks are 2.7 MB of JavaScript. Bundled into the host, they are parsed at every start-up
 * though only runs need them; as `dist/tokenizer.js`, the host loads them with the first run.
 * @type {esbuild.Plugin}
 */
const tokenizerBesideBundle = {
  name: 'tokenizer-beside-bundle',
  setup(build) {
    build.onResolve({ filter: /^gpt-tokenizer\/encoding\/o200k_base$/ }, () => ({ path: './tokenizer.js', external: true }));
  },
};

/** @type {esbuild.BuildOptions[]} */
const targets = [
  // The extension runs in VS Code's extension host, which provides `vscode`.
  { ...node, entryPoints: { extension: 'extension/extension.ts' }, outdir: 'dist', external: ['vscode'] },
  // The agent host and the headless CLI never see `vscode`.
  { ...node, entryPoints: { host: 'host/main.ts' }, outdir: 'dist', plugins: [tokenizerBesideBundle] },
  { ...node, entryPoints: { cli: 'host/cli.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' }, plugins: [tokenizerBesideBundle] },
  { ...node, entryPoints: { tokenizer: 'gpt-tokenizer/encoding/o200k_base' }, outdir: 'dist' },
  // Sandbox executions run on worker threads; the host and the CLI start this file beside themselves.
  { ...node, entryPoints: { 'sandbox-worker': 'host/sandbox/worker.ts' }, outdir: 'dist' },
  // The memory index reads and chunks files on worker threads, started from this file beside the host and the CLI.
  { ...node, entryPoints: { 'memory-worker': 'host/memory/workspaceIndex/chunking/chunkWorker.ts' }, outdir: 'dist' },
  // The trace viewer runs in a browser context inside VS Code.
  { ...base, platform: 'browser', target: 'es2022', format: 'esm', entryPoints: { webview: 'webview-ui/main.ts' }, outdir: 'dist' },
  // The approval center: every question waiting for the user, in the Keel panel.
  { ...base, platform: 'browser', target: 'es2022', format: 'esm', entryPoints: { approvals: 'webview-ui/approvals/main.ts' }, outdir: 'dist' },
  // The Runs list: every run with its state, conversation and actions, in the Keel panel.
  { ...base, platform: 'browser', target: 'es2022', format: 'esm', entryPoints: { runs: 'webview-ui/runs/main.ts' }, outdir: 'dist' },
  // The Metrics view, with its charts (uPlot), in its own webview.
  { ...base, platform: 'browser', target: 'es2022', format: 'esm', entryPoints: { metrics: 'webview-ui/metrics/main.ts' }, outdir: 'dist' },
  // The mocha suite that runs inside a real VS Code extension host.
  // Mocha's parallel mode resolves worker files at run time; the suite runs serially, so that is never reached.
  {
    ...node,
    entryPoints: { 'test/suite': 'test/vscode/suite/index.ts' },
    outdir: 'dist',
    external: ['vscode'],
    logOverride: { 'require-resolve-not-external': 'silent' },
  },
];

function copyAssets() {
  mkdirSync('dist', { recursive: true });
  // QuickJS loads its WebAssembly module from beside the bundle that imports it.
  const wasm = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
  cpSync(wasm, join('dist', 'emscripten-module.wasm'));
  const codicons = dirname(require.resolve('@vscode/codicons/dist/codicon.css'));
  cpSync(join(codicons, 'codicon.css'), join('dist', 'codicon.css'));
  cpSync(join(codicons, 'codicon.ttf'), join('dist', 'codicon.ttf'));
  cpSync(join('webview-ui', 'style.css'), join('dist', 'webview.css'));
  cpSync(join('webview-ui', 'approvals', 'approvals.css'), join('dist', 'approvals.css'));
  cpSync(join('webview-ui', 'runs', 'runs.css'), join('dist', 'runs.css'));
  cpSync(join('webview-ui', 'metrics', 'style.css'), join('dist', 'metrics.css'));
  cpSync(require.resolve('uplot/dist/uPlot.min.css'), join('dist', 'uPlot.min.css'));
  // The memory layer's chunker and governance's command rules parse with tree-sitter; the host finds these grammars
  // beside its bundle.
  const grammars = dirname(require.resolve('@vscode/tree-sitter-wasm'));
  mkdirSync(join('dist', 'tree-sitter'), { recursive: true });
  for (const name of ['tree-sitter', 'tree-sitter-typescript', 'tree-sitter-tsx', 'tree-sitter-javascript', 'tree-sitter-python', 'tree-sitter-bash']) {
    cpSync(join(grammars, `${name}.wasm`), join('dist', 'tree-sitter', `${name}.wasm`));
  }
}

/**
 * Vector search's SIMD kernel is written in WebAssembly text; the index loads it from a TypeScript module holding the
 * binary, so that tests and benchmarks running from source need no build. A unit test checks the two agree.
 */
async function compileWasmKernels() {
  const wabt = await require('wabt')();
  const source = join('host', 'memory', 'ranking', 'dotRows.wat');
  const module = wabt.parseWat(source, readFileSync(source, 'utf8'), { simd: true });
  const base64 = Buffer.from(module.toBinary({}).buffer).toString('base64');
  module.destroy();
  const target = join('host', 'memory', 'ranking', 'dotRowsWasm.ts');
  const text = `// Generated by esbuild.mjs from dotRows.wat: edit that file and rebuild.\nexport const DOT_ROWS_WASM = '${base64}';\n`;
  if (!existsSync(target) || readFileSync(target, 'utf8') !== text) writeFileSync(target, text);
}

await compileWasmKernels();
copyAssets();
if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}
