import { createRequire } from 'node:module';
import { extname, join } from 'node:path';

export interface WorkerFiles {
  /** A file to run, or (when `evalScript`) the source of a bootstrap script. */
  readonly script: string;
  readonly evalScript: boolean;
  readonly wasmFile: string;
}

/**
 * Where the worker script and the QuickJS WebAssembly file are. In the bundle, esbuild puts both beside
 * dist/host.js: dist/sandbox-worker.js and dist/emscripten-module.wasm. From source (tests under tsx) the worker
 * is worker.ts; Node 20 does not apply `--import tsx` to a worker's entry module, so a bootstrap installs tsx's
 * require hook first.
 */
export function sandboxWorkerFiles(): WorkerFiles {
  if (extname(__filename) !== '.ts') {
    return { script: join(__dirname, 'sandbox-worker.js'), evalScript: false, wasmFile: join(__dirname, 'emscripten-module.wasm') };
  }
  const resolve = createRequire(__filename).resolve;
  const bootstrap = `require(${JSON.stringify(resolve('tsx/cjs'))}); require(${JSON.stringify(join(__dirname, 'worker.ts'))});`;
  return { script: bootstrap, evalScript: true, wasmFile: resolve('@jitl/quickjs-wasmfile-release-sync/wasm') };
}
