/**
 * The QuickJS WebAssembly module of one worker. It is compiled once and instantiated once; executions each get
 * a fresh runtime inside it. A new instance replaces it only when the old one may be broken or holds more
 * memory than the next execution may use.
 */
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
   * Caps how far the instance's memory may grow while an execution runs; `undefined` lifts the cap. QuickJS's
   * own memory limit bounds its object heap but not strings, array storage or buffers, because Emscripten
   * reports no allocation sizes (quickjs-emscripten #271). Refusing to grow the memory past the limit makes
   * those allocations fail too, as QuickJS "out of memory" errors.
   */
  capMemory(memoryBytes: number | undefined): void {
    this.ceilingBytes = memoryBytes === undefined ? MAXIMUM_PAGES * PAGE_BYTES : memoryBytes + BASELINE_BYTES;
  }

  private async instantiate(): Promise<QuickJSWASMModule> {
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES });
    const grow = memory.grow.bind(memory);
    // Emscripten grows the memory by calling this; when it throws, the allocation that needed it fails.
    memory.grow = (pages: number): number => {
      if (memory.buffer.byteLength + pages * PAGE_BYTES > this.ceilingBytes) throw new RangeError('The sandbox memory ceiling is reached.');
      return grow(pages);
    };
    const variant = newVariant(RELEASE_SYNC, {
      wasmModule: await this.compiled,
      wasmMemory: memory,
      // Emscripten prints an abort's reason to stderr; the same text arrives in the thrown error, which is reported.
      // `printErr` is a standard Emscripten option that quickjs-emscripten's types leave out.
      emscriptenModule: { printErr: () => undefined } as CustomizeVariantOptions['emscriptenModule'],
    });
    return newQuickJSWASMModuleFromVariant(variant);
  }

  private load(): Promise<QuickJSWASMModule> {
    const instance = this.instantiate().then((module) => {
      if (this.instance === instance) this.loaded = module;
      return module;
    });
    return instance;
  }
}
