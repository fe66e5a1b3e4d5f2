/**
 * The QuickJS WebAssembly module of one worker. It is compiled once and instantiated once; executions each get
 * a fresh runtime inside it. A new instance replaces it only when the old one may be broken or holds more
 * memory than the next execution may use. The engine also holds the guest to its memory limit and records
 * when it ran out: see `capMemory` and `heapExhausted`.
 */
import * as l10n from '@vscode/l10n';
import { QuickJSFFI } from '@jitl/quickjs-wasmfile-release-sync/ffi';
import { readFile } from 'node:fs/promises';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type CustomizeVariantOptions,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- require() makes esbuild take the package's CommonJS build; its ESM build reads import.meta.url, which a CommonJS bundle does not have.
import emscriptenModule = require('@jitl/quickjs-wasmfile-release-sync/emscripten-module');

/**
 * The release build of the sync variant (@jitl/quickjs-wasmfile-release-sync), assembled here only to load its
 * CommonJS module loader; not asyncify, since host functions return promises instead (quickjs-emscripten #258).
 */
const RELEASE_SYNC: QuickJSSyncVariant = {
  type: 'sync',
  importFFI: async () => QuickJSFFI,
  importModuleLoader: async () => emscriptenModule.default,
};

const PAGE_BYTES = 64 * 1024;
/** The module's own shape: it imports a memory of 16 MiB that may grow to 2 GiB. */
const INITIAL_PAGES = 256;
const MAXIMUM_PAGES = 32768;
/** What an instance holds besides the guest's heap: QuickJS's code, data and stack, and a prepared realm. */
const BASELINE_BYTES = INITIAL_PAGES * PAGE_BYTES;
/**
 * Emscripten's heap resize asks for room to spare (20%, then 10%, then 5% over the current heap, or at least what
 * it needs) and only then lets malloc fail; so this many refusals with no growth between them mean one failed.
 */
const RESIZE_ATTEMPTS = 3;

/** The growth an instance was refused since its cap last changed. */
interface Refusals {
  inARow: number;
  allocationFailed: boolean;
}

const refusalsOf = new WeakMap<QuickJSWASMModule, Refusals>();

/**
 * Whether an allocation in this instance failed at the memory cap since `capMemory` set it. Then the guest is out
 * of memory even if it caught the error, or if QuickJS, lacking the memory to build its "out of memory" error,
 * threw null instead. A refusal not yet followed by growth means the last resize failed, since nothing asks here
 * in the middle of one; `RESIZE_ATTEMPTS` refusals in a row mean one failed even if memory grew again afterwards.
 */
export function heapExhausted(module: QuickJSWASMModule): boolean {
  const refusals = refusalsOf.get(module);
  return refusals !== undefined && (refusals.allocationFailed || refusals.inARow > 0);
}

export class QuickJSEngine {
  private readonly compiled: Promise<WebAssembly.Module>;
  private instance: Promise<QuickJSWASMModule>;
  /** The current instance once it has loaded. */
  private loaded: QuickJSWASMModule | undefined;
  private ceilingBytes = MAXIMUM_PAGES * PAGE_BYTES;

  constructor(wasmFile: string) {
    this.compiled = readFile(wasmFile).then((bytes) => WebAssembly.compile(bytes));
    this.instance = this.load();
  }

  module(): Promise<QuickJSWASMModule> {
    return this.instance;
  }

  /** Starts a new WebAssembly instance, for when the current one failed or holds too much memory. */
  renew(): void {
    this.loaded = undefined;
    this.instance = this.load();
  }

  /** Whether `module`'s instance holds no more memory than an execution with this limit may grow it to. */
  fits(module: QuickJSWASMModule, memoryBytes: number): boolean {
    return module.getWasmMemory().buffer.byteLength <= memoryBytes + BASELINE_BYTES;
  }

  /** Whether `module`'s instance has grown beyond its initial memory. */
  hasGrown(module: QuickJSWASMModule): boolean {
    return module.getWasmMemory().buffer.byteLength > BASELINE_BYTES;
  }

  /** Whether the current instance has grown past what an execution with this limit may use. */
  outgrew(memoryBytes: number): boolean {
    return this.loaded !== undefined && !this.fits(this.loaded, memoryBytes);
  }

  /**
   * Caps how far the instance's memory may grow while an execution runs; `undefined` lifts the cap. This cap is
   * the guest's memory limit. QuickJS's own limit cannot be: Emscripten reports no allocation sizes, so it counts
   * 8 bytes per allocation whatever its size (quickjs-emscripten #271), and the host never learns that it refused
   * one. Refusing to grow the memory makes every allocation past the limit fail, and the host sees each refusal.
   */
  capMemory(memoryBytes: number | undefined): void {
    this.ceilingBytes = memoryBytes === undefined ? MAXIMUM_PAGES * PAGE_BYTES : memoryBytes + BASELINE_BYTES;
    // Executions run in the current instance, so its record starts afresh with each one.
    const refusals = this.loaded && refusalsOf.get(this.loaded);
    if (refusals) {
      refusals.inARow = 0;
      refusals.allocationFailed = false;
    }
  }

  private async instantiate(): Promise<QuickJSWASMModule> {
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES });
    const grow = memory.grow.bind(memory);
    const refusals: Refusals = { inARow: 0, allocationFailed: false };
    // Emscripten grows the memory by calling this; when it throws, the allocation that needed it may fail.
    memory.grow = (pages: number): number => {
      try {
        if (memory.buffer.byteLength + pages * PAGE_BYTES > this.ceilingBytes) throw new RangeError(l10n.t('The sandbox memory ceiling is reached.'));
        const previousPages = grow(pages);
        refusals.inARow = 0;
        return previousPages;
      } catch (error) {
        if (++refusals.inARow >= RESIZE_ATTEMPTS) refusals.allocationFailed = true;
        throw error;
      }
    };
    const variant = newVariant(RELEASE_SYNC, {
      wasmModule: await this.compiled,
      wasmMemory: memory,
      // Emscripten prints an abort's reason to stderr; the same text arrives in the thrown error, which is reported.
      // `printErr` is a standard Emscripten option that quickjs-emscripten's types leave out.
      emscriptenModule: { printErr: () => undefined } as CustomizeVariantOptions['emscriptenModule'],
    });
    const module = await newQuickJSWASMModuleFromVariant(variant);
    refusalsOf.set(module, refusals);
    return module;
  }

  private load(): Promise<QuickJSWASMModule> {
    const instance = this.instantiate().then((module) => {
      if (this.instance === instance) this.loaded = module;
      return module;
    });
    return instance;
  }
}
